"""The hostile corpora through the text-safety pieces: nothing gets through, nothing ordinary is caught.

(bench/bench_text_safety.py prints the same figures with throughput; the e2e tests run the corpora
through the real pipeline.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.bench_text_safety import pipeline, run

HERE = Path(__file__).parent


def test_corpora_are_the_generators_output(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in HERE.glob("*.jsonl")}
    assert len(before) == 3
    subprocess.run([sys.executable, "-m", "tests.corpora.build_corpora"], check=True, capture_output=True)
    after = {p.name: p.read_bytes() for p in HERE.glob("*.jsonl")}
    assert before == after


def test_corpora_sizes() -> None:
    sizes = {p.stem: sum(1 for _ in p.open(encoding="utf-8")) for p in HERE.glob("*.jsonl")}
    assert sizes["hostile_model_outputs"] >= 100
    assert sizes["hostile_customer_inputs"] >= 100
    assert sizes["ordinary"] >= 200
    for p in HERE.glob("*.jsonl"):
        for line in p.open(encoding="utf-8"):
            item = json.loads(line)
            assert {"id", "kind", "text"} <= set(item)


def test_nothing_gets_through_and_nothing_ordinary_is_caught() -> None:
    figures = run(speed=False)
    assert figures["outputs"] >= 100 and figures["inputs"] >= 100
    must_be_zero = {k: v for k, v in figures.items() if k not in ("outputs", "inputs", "ordinary")}
    assert must_be_zero == dict.fromkeys(must_be_zero, 0)


async def test_the_corpora_through_the_real_answerer_and_openai_client() -> None:
    assert await pipeline(smoke=True) == {"pipeline_through": 0, "pipeline_to_model": 0}
