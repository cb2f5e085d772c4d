"""The test suite's own habits: two patterns that let a test pass whatever the code does stay out of tests/.

- `pytest.raises(Exception)` (or BaseException) passes on any error, a typo or a crash included;
- `assert a or b` passes when either holds, so a query that broke is hidden by the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BROAD = {"Exception", "BaseException"}


def loose_checks(source: str) -> list[str]:
    """Line and text of each assert-anything in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.Or):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("pytest.raises", "raises") and node.args:
            expected = node.args[0]
            names = expected.elts if isinstance(expected, ast.Tuple) else [expected]
            if any(isinstance(n, ast.Name) and n.id in _BROAD for n in names):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_test_accepts_any_error_or_either_of_two_answers() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for hit in loose_checks(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_check_finds_both_patterns_and_spares_their_honest_neighbours() -> None:
    broken = """
import pytest
def test_x():
    with pytest.raises(Exception, match="boom"):
        f()
    with pytest.raises((ValueError, BaseException)):
        f()
    assert search("a") == [] or not search("b")[0].confident
"""
    assert sorted(int(hit.split(":")[0]) for hit in loose_checks(broken)) == [4, 6, 8]
    honest = """
import pytest
def test_x():
    with pytest.raises(ValueError, match="boom"):
        f()
    assert "x" in (row.error or "")
    assert search("a") == []
"""
    assert loose_checks(honest) == []
