"""pytest plugin used by bench/mutate.py for its coverage pass (loaded with `-p bench._mutate_plugin`).

Under `coverage run`, it labels everything executed during a test with the test's node id (a coverage
"dynamic context"), so the mutation runner knows which tests reach each line, and it writes each test's
duration and outcome to the JSON file named by MUTATE_TEST_LOG.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from typing import Any

import coverage
import pytest

_durations: dict[str, float] = {}
_failed: set[str] = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, None]:
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    yield
    if cov is not None:
        cov.switch_context("")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration
    if report.failed:
        _failed.add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("MUTATE_TEST_LOG")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"durations": _durations, "failed": sorted(_failed)}, f)
