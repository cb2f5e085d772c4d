"""The labelled evaluation sets (bench/eval) hold a floor: a change that makes answers worse fails here.

The figures themselves are printed by `python bench/bench_eval.py`.
"""

from __future__ import annotations

import pytest

from bench.bench_eval import run_set
from bench.eval import HELD_OUT, all_sets, parse_questions

FLOOR = 0.9


def test_the_sets_are_large_and_varied() -> None:
    sets = all_sets()
    items = [i for s in sets for i in s.items]
    assert len(sets) >= 2 and len(items) >= 400
    kinds = {i.kind for i in items}
    assert kinds >= {"faq", "status", "device", "smalltalk", "human", "distress", "crisis", "refuse", "offtopic",
                     "device_id", "nonsense"}
    assert sum(any(ch in i.question for ch in "¿áéíóúñ") for i in items) >= 10  # some Spanish


@pytest.mark.parametrize("name", [s.name for s in all_sets() if s.name not in HELD_OUT])
async def test_offline_answers_hold_the_floor(name: str) -> None:
    """The real Answerer (offline), over a database holding the set's status feed and one customer's device."""
    evalset = next(s for s in all_sets() if s.name == name)
    tally = await run_set(evalset, list(evalset.items), None)
    assert tally.unsafe == []
    assert tally.accuracy >= FLOOR, tally.report(name, misses=30)
    assert tally.precision >= FLOOR and tally.recall >= FLOOR, tally.report(name)
    assert tally.false_refusal_rate <= 0.02, tally.report(name)


def test_a_label_must_be_known() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        parse_questions("## feelings\nhello\n")
    with pytest.raises(ValueError, match="before any"):
        parse_questions("hello\n")
