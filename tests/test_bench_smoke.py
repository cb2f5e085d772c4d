"""Every benchmark runs at a tiny size (`--smoke`), so none can rot unnoticed between the times it is run for real.

A smoke run's figures mean nothing; it shows that the benchmark starts, drives the product the way it
is built today, and prints its figures. Each runs as `python bench/<name>.py --smoke` from a folder
outside the repository, as a person would run it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import _pg_reachable

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))

# what each benchmark prints when it has measured something: one pattern per figure it reports
FIGURES: dict[str, list[str]] = {
    "bench_answers": [r"offline answers over a \d+-entry FAQ, .*: [\d,]+/s", r"\d+ LLM calls = [\d.]+%"],
    "bench_delivery": [r"achieved rate: [\d.]+ messages/s", r"duplicates 0 .* lost 0", r"run 2: .*SIGKILLed"],
    "bench_e2e": [r"throughput\s+product [\d.]+/s", r"accepted \(non-429\) requests: \d+", r"429s per bucket"],
    "bench_eval": [r"all sets, offline path: \d+/\d+ correct", r"all sets, llm path: \d+/\d+ correct"],
    "bench_e2e_proc": [r"product / do-nothing throughput: [\d.]+"],
    "bench_feeds": [r"recovery page .* [\d.]+ payloads/s"],
    "bench_instances": [r"1 process\(es\): [\d.]+ answers/s", r"2 process\(es\): .* duplicates 0"],
    "bench_pacing": [r"dm-burst\s+\d+ ms: \d+/\d+ answered", r"surge, surge mode\s+\d+ ms: .*429s \d+"],
    "bench_lookup_export": [
        r"lookup_by_device over 300 rows",
        r"export of 300 rows via `python -m bot devices export`: [\d.]+ s",
    ],
    "bench_registry": [r"sqlite\s+registry, .*: [\d,]+/s"],
    "bench_retrieval": [r"warm: [\d,]+ searches/s", r"confident top hit: \d+%"],
    "bench_text_safety": [
        r"hostile model outputs: \d+; got through: \d+",
        r"IDs surviving redaction: \d+ of \d+",
        r"false positives: device IDs \d+",
        r"scanner: [\d,]+ messages/s",
    ],
}


def test_every_benchmark_says_what_it_prints() -> None:
    assert BENCHES, "no benchmark found: the glob is wrong"
    assert sorted(FIGURES) == BENCHES


@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_smoke_run(name: str, tmp_path: Path) -> None:
    args = [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--smoke"]
    if name == "bench_delivery":
        args += ["--workdir", str(tmp_path / "work")]
    if name == "bench_registry" and not _pg_reachable() and os.environ.get("CI", "").lower() != "true":
        args += ["--db", "sqlite"]  # CI has PostgreSQL, and runs both
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    r = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, f"{name} exited {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    missing = [f for f in FIGURES.get(name, []) if not re.search(f, r.stdout)]
    assert missing == [], f"{name} did not print {missing}:\n{r.stdout[-3000:]}"
