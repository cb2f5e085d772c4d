"""bench/mutate.py on a toy project in tmp_path: a mutant is applied, killed by a failing test, and the
module is restored afterwards, also when the run is interrupted."""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bench import mutate

TOY = '''"""A toy module."""

import logging

log = logging.getLogger(__name__)


def add(a: int, b: int) -> int:
    log.info("adding %s", 1 + 2)
    return a + b


def is_adult(age: int) -> bool:
    return age >= 18


def untested(x: int) -> int:
    return x - 1


class Box:
    def __repr__(self) -> str:
        return "Box(" + str(1 + 1) + ")"
'''

TOY_TESTS = """from toy.calc import add, is_adult


def test_add():
    assert add(2, 3) == 5


def test_is_adult():
    assert is_adult(18)
    assert not is_adult(17)
"""


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "__init__.py").write_text("")
    (tmp_path / "toy" / "calc.py").write_text(TOY)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(TOY_TESTS)
    return tmp_path


def _campaign(root: Path, **kwargs: object) -> mutate.Campaign:
    targets = mutate.build_targets(root, ["toy/calc.py"], None)
    return mutate.Campaign(root, targets, budget=300, echo=lambda line: None, **kwargs)  # type: ignore[arg-type]


def _keys(root: Path, *descriptions: str) -> set[str]:
    """Only these mutants, so each test starts few pytest runs."""
    found = {m.description: m.key for m in mutate.mutants_for(root / "toy" / "calc.py", root)}
    return {found[d] for d in descriptions}


def test_the_module_is_mapped_to_the_test_file_that_imports_it(toy: Path) -> None:
    (target,) = mutate.build_targets(toy, ["toy/calc.py"], None)
    assert target.tests == ["tests/test_calc.py"]


def test_mutants_leave_logging_docstrings_annotations_and_repr_alone(toy: Path) -> None:
    found = mutate.mutants_for(toy / "toy" / "calc.py", toy)
    lines = {m.lineno for m in found}
    assert 9 not in lines  # the logging call, though `1 + 2` would be a mutant anywhere else
    assert not any(m.lineno >= 22 for m in found)  # __repr__
    assert "`a + b` -> `a - b`" in {m.description for m in found}
    assert {"`age >= 18` -> `age < 18`", "`age >= 18` -> `age > 18`", "`18` -> `19`"} <= {m.description for m in found}
    source = (toy / "toy" / "calc.py").read_bytes()
    for m in found:  # every mutant still parses and differs from the original
        assert ast.dump(ast.parse(mutate.apply(source, m))) != ast.dump(ast.parse(source))


def test_a_mutant_is_applied_killed_by_a_failing_test_and_the_file_restored(toy: Path) -> None:
    module = toy / "toy" / "calc.py"
    seen: list[str] = []

    def run_tests(root: Path, selection: Sequence[str], timeout: float) -> tuple[str, float]:
        seen.append(module.read_text())
        return mutate.run_pytest(root, selection, timeout)

    chosen = _keys(toy, "`a + b` -> `a - b`", "`age >= 18` -> `age > 18`", "`x - 1` -> `x + 1`")
    campaign = _campaign(toy, use_coverage=False, run_tests=run_tests, only=chosen)
    results = {m.description: m for m in campaign.run()}
    assert len(results) == 3
    assert results["`a + b` -> `a - b`"].status == mutate.KILLED
    assert results["`age >= 18` -> `age > 18`"].status == mutate.KILLED
    assert results["`x - 1` -> `x + 1`"].status == mutate.SURVIVED  # no test calls untested()
    assert any("return a - b" in text for text in seen)  # the mutant really was on disk while tests ran
    assert module.read_text() == TOY


def test_coverage_narrows_the_tests_and_marks_unexecuted_lines(toy: Path) -> None:
    campaign = _campaign(toy, only=_keys(toy, "`a + b` -> `a - b`", "`x - 1` -> `x + 1`"))
    results = {m.description: m for m in campaign.run()}
    assert results["`a + b` -> `a - b`"].status == mutate.KILLED
    assert results["`a + b` -> `a - b`"].tests == 1  # only test_add executes that line
    assert results["`x - 1` -> `x + 1`"].status == mutate.NO_COVERAGE
    assert (toy / "toy" / "calc.py").read_text() == TOY


def test_the_module_is_restored_when_the_run_is_interrupted(toy: Path) -> None:
    module = toy / "toy" / "calc.py"

    def interrupted(root: Path, selection: Sequence[str], timeout: float) -> tuple[str, float]:
        assert module.read_text() != TOY
        raise KeyboardInterrupt

    campaign = _campaign(toy, use_coverage=False, run_tests=interrupted)
    with pytest.raises(KeyboardInterrupt):
        campaign.run()
    assert module.read_text() == TOY


def test_sampling_is_deterministic_and_capped(toy: Path) -> None:
    def record(root: Path, selection: Sequence[str], timeout: float) -> tuple[str, float]:
        return mutate.SURVIVED, 0.0

    first = _campaign(toy, use_coverage=False, run_tests=record, max_per_module=3, seed=7).run()
    again = _campaign(toy, use_coverage=False, run_tests=record, max_per_module=3, seed=7).run()
    assert len(first) == 3
    assert [m.key for m in first] == [m.key for m in again]


def test_reports_of_the_same_mutants_combine_killed_in_any_as_killed(toy: Path, tmp_path: Path) -> None:
    def verdict(status: str) -> mutate.RunTests:
        return lambda root, selection, timeout: (status, 0.0)

    chosen = _keys(toy, "`a + b` -> `a - b`", "`x - 1` -> `x + 1`")
    survived = _campaign(toy, use_coverage=False, run_tests=verdict(mutate.SURVIVED), only=chosen)
    survived.run()
    killed = _campaign(toy, use_coverage=False, run_tests=verdict(mutate.KILLED), only=chosen)
    killed.run()
    killed.results = killed.results[:1]  # the second run killed one of the two
    reports = [tmp_path / "a.json", tmp_path / "b.json"]
    mutate.write_json(reports[0], survived, [], 1.0)
    mutate.write_json(reports[1], killed, [], 1.0)
    out = tmp_path / "combined.json"
    assert mutate.main(["--root", str(toy), "--combine", *map(str, reports), "--json", str(out)]) == 0
    combined = json.loads(out.read_text())
    assert combined["total"][mutate.KILLED] == 1 and combined["total"][mutate.SURVIVED] == 1
    assert combined["score"] == 50.0
