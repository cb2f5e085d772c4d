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
