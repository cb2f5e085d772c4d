"""A clone with nothing beside it must be enough: no test, benchmark or script reads outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a path that climbs out of the repository: "../", Path(...).parent.parent beyond the root, or a sibling folder
_OUTSIDE = re.compile(r"""(["'/]\.\.[/"'])|(/\s*["']\.\.["'])|(["']shared["'])|(\.\./shared)""")
_SCANNED = ("tests", "bench", ".ci", "bot")


def _files() -> list[Path]:
    out: list[Path] = []
    for top in _SCANNED:
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".sh", ""} and "__pycache__" not in path.parts:
                out.append(path)
    return out


def test_no_file_refers_to_a_folder_outside_the_repository() -> None:
    offenders = []
    for path in _files():
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if line.lstrip().startswith("#") or 'dirname "$0")/..' in line:  # a script finding its own checkout
                continue
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_scan_catches_an_outside_path() -> None:
    sibling = "sha" + "red"  # spelled in two parts so that this file itself names no outside folder
    assert _OUTSIDE.search(f'FIXTURES = REPO / ".." / "{sibling}" / "fixtures"')
    assert _OUTSIDE.search(f"open('../{sibling}/x.json')")
    assert not _OUTSIDE.search('FIXTURES = REPO / "tests" / "fixtures"')


def test_every_fixture_file_the_tests_name_is_in_the_repository() -> None:
    """Captured payloads are named in tests by file name; each must be a file in the repository."""
    named: set[str] = set()
    dated_capture = re.compile(r"""["']([\w.-]+_\d{4}-\d{2}-\d{2}[\w.-]*\.(?:json|atom|rss|xml))["']""")
    for path in (ROOT / "tests").rglob("*.py"):
        named.update(dated_capture.findall(path.read_text("utf-8")))
    present = {p.name for p in (ROOT / "tests" / "fixtures").rglob("*") if p.is_file()}
    assert named, "the scan found no fixture names: the pattern is wrong"
    assert sorted(named - present) == []
