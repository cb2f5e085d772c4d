"""Checks on text about to leave the bot: what a customer must never be shown."""

from __future__ import annotations

import re

__all__ = ["INTERNAL_ERROR_PATTERNS", "looks_like_internal_error"]

# Each pattern with the literals one of which any match must contain: the pattern is only run on text
# that holds one of them (a substring test is far cheaper than a regex scan, and this runs on every answer).
_CHECKS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.MULTILINE), needles)
    for pattern, needles in (
        (r"Traceback \(most recent call last\)", ("Traceback",)),
        (r"^\s*File \"[^\"]+\", line \d+", ('File "',)),
        (  # openai.APIError
            r"\b[a-z_][\w]*(?:\.[a-z_]\w*)*\.[A-Z]\w*(?:Error|Exception|Warning)\b",
            ("Error", "Exception", "Warning"),
        ),
        (r"\b[A-Z][A-Za-z]*(?:Error|Exception):\s", ("Error:", "Exception:")),  # KeyError: 'x'
        (
            r"\b(?:sqlite3|psycopg2?|asyncpg|sqlalchemy|aiosqlite)\.\w+",
            ("sqlite3.", "psycopg", "asyncpg.", "sqlalchemy.", "aiosqlite."),
        ),
        (
            r"\bSQLSTATE\b|\bsyntax error at or near\b|\bno such (?:table|column)\b",
            ("SQLSTATE", "syntax error at or near", "no such "),
        ),
        (
            r"\bduplicate key value violates\b|\brelation \"[^\"]+\" does not exist\b",
            ("duplicate key value violates", 'relation "'),
        ),
        (r"\bBackground on this error at: https?://sqlalche\.me", ("Background on this error at",)),
        (r"\bError code: \d{3}\b", ("Error code: ",)),
        (
            r"<(?:coroutine|function|bound method) [^>]+>|\bobject at 0x[0-9a-fA-F]{6,}\b",
            ("<coroutine ", "<function ", "<bound method ", "object at 0x"),
        ),
        (r"^\s+at [\w.$<>]+\([\w.]*:\d+\)", ("at ",)),
    )
)
INTERNAL_ERROR_PATTERNS = tuple(pattern for pattern, _ in _CHECKS)


def looks_like_internal_error(text: str) -> bool:
    """Tracebacks, exception dumps, SQL errors: things a customer must never see."""
    return any(any(n in text for n in needles) and p.search(text) is not None for p, needles in _CHECKS)
