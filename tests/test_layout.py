"""The structure shows the design: no import cycles among bot modules, and no imports deferred to hide one.

Only the command line (`bot/__main__.py`) defers imports, so that `python -m bot --help` and each command
load no more than they use; `TYPE_CHECKING` imports are annotations, not imports at run time.
"""

from __future__ import annotations

from bench.layout import cycles, report

ALLOWED_DEFERRED = {"bot.__main__"}


def test_no_import_cycles_among_bot_modules() -> None:
    assert report()["cycles"] == []


def test_imports_are_deferred_only_by_the_command_line() -> None:
    deferred = report()["deferred_imports"]
    assert [(a, b) for a, b in deferred if a not in ALLOWED_DEFERRED] == []  # type: ignore[attr-defined]


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
