"""Checks on outgoing text: internal errors never reach a customer."""

from __future__ import annotations

import pytest

from bot.core.text.output import looks_like_internal_error


@pytest.mark.parametrize(
    "text",
    [
        'Traceback (most recent call last):\n  File "/app/bot/llm.py", line 12, in ask\n    raise X',
        '  File "bot/core/db.py", line 88, in connect',
        "openai.APIError: upstream failure",
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked",
        "KeyError: 'status'",
        'ERROR:  relation "devices" does not exist',
        "psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint",
        "Error code: 429 - {'error': {'message': 'Rate limit'}}",
        "<coroutine object ask at 0x7f3a2b1c9d40>",
    ],
)
def test_internal_errors(text: str) -> None:
    assert looks_like_internal_error(text)


@pytest.mark.parametrize(
    "text",
    [
        "Please keep your phone on and charged.",
        "If your phone shows a sync error, that is expected during the outage.",
        "Error messages on the phone are normal right now.",
        "As of 14:00 UTC the team is still working on it.",
        "Dial *#06# to see your IMEI.",
    ],
)
def test_not_internal_errors(text: str) -> None:
    assert not looks_like_internal_error(text)


def test_each_pattern_only_matches_text_holding_one_of_its_literals() -> None:
    """The substring prefilter must never hide a match: every pattern's matches contain one of its literals."""
    from bot.core.text.output import _CHECKS

    samples = [
        "Traceback (most recent call last):\n  File \"/app/bot.py\", line 3, in <module>",
        "openai.APIConnectionError: Connection error.",
        "KeyError: 'contacts'",
        "sqlalchemy.exc.OperationalError (sqlite3.OperationalError) no such table: answers",
        "asyncpg.exceptions.UniqueViolationError: duplicate key value violates unique constraint",
        'ERROR: relation "devices" does not exist SQLSTATE 42P01 syntax error at or near "x"',
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
        "Error code: 503 - {'error': 'overloaded'}",
        "<coroutine object Answerer.answer at 0x7f3a2b1c9d40>",
        "<bound method Bot.run of <bot.Bot object at 0x7f00aa11bb22>>",
        "    at com.example.Sync.run(Sync.java:42)",
    ]
    matched = set()
    for text in samples:
        for pattern, needles in _CHECKS:
            if pattern.search(text):
                matched.add(pattern.pattern)
                assert any(n in text for n in needles), (pattern.pattern, text)
        assert looks_like_internal_error(text), text
    assert matched == {p.pattern for p, _ in _CHECKS}  # every pattern was tried on a text it matches
