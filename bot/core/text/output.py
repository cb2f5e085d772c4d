"""Checks on text about to leave the bot: what a customer must never be shown."""

from __future__ import annotations

import re

__all__ = ["INTERNAL_ERROR_PATTERNS", "looks_like_internal_error"]

INTERNAL_ERROR_PATTERNS = tuple(
    re.compile(p, re.MULTILINE)
    for p in (
        r"Traceback \(most recent call last\)",
        r"^\s*File \"[^\"]+\", line \d+",
        r"\b[a-z_][\w]*(?:\.[a-z_]\w*)*\.[A-Z]\w*(?:Error|Exception|Warning)\b",  # openai.APIError
        r"\b[A-Z][A-Za-z]*(?:Error|Exception):\s",  # KeyError: 'x'
        r"\b(?:sqlite3|psycopg2?|asyncpg|sqlalchemy|aiosqlite)\.\w+",
        r"\bSQLSTATE\b|\bsyntax error at or near\b|\bno such (?:table|column)\b",
        r"\bduplicate key value violates\b|\brelation \"[^\"]+\" does not exist\b",
        r"\bBackground on this error at: https?://sqlalche\.me",
        r"\bError code: \d{3}\b",
        r"<(?:coroutine|function|bound method) [^>]+>|\bobject at 0x[0-9a-fA-F]{6,}\b",
        r"^\s+at [\w.$<>]+\([\w.]*:\d+\)",
    )
)


def looks_like_internal_error(text: str) -> bool:
    """Tracebacks, exception dumps, SQL errors: things a customer must never see."""
    return any(p.search(text) for p in INTERNAL_ERROR_PATTERNS)
