"""Feed timestamps: parsed to aware UTC, bounded by the caller's clock; time-zone labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.feeds.models import FeedError
from bot.core.feeds.time import Clock, parse_timestamp, tz_offset

NOW = datetime(2025, 7, 16, 12, 0, tzinfo=UTC)


def test_parse_timestamp() -> None:
    assert parse_timestamp("2025-07-16T12:00:00+02:00", "x") == datetime(2025, 7, 16, 10, 0, tzinfo=UTC)
    assert parse_timestamp("2025-07-16T12:00:00Z", "x") == NOW
    assert parse_timestamp("2025-07-16T12:00:00", "x", assume_utc=True) == NOW


@pytest.mark.parametrize(
    ("value", "reason", "words"),
    [
        ("2025-07-16T12:00:00", "timestamp", "has no UTC offset"),
        ("yesterday", "timestamp", "not an ISO 8601 timestamp"),
        (1752667200, "schema", "got int"),
    ],
)
def test_parse_timestamp_errors(value: object, reason: str, words: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_timestamp(value, "incidents.0.created_at")
    assert info.value.reason == reason
    assert str(info.value).startswith("incidents.0.created_at: ")
    assert words in str(info.value)


def test_clock_bounds() -> None:
    clock = Clock(NOW)
    assert clock.check(NOW + timedelta(days=1), "w") == NOW + timedelta(days=1)
    for absurd in (datetime(1999, 12, 31, tzinfo=UTC), NOW + timedelta(days=3)):
        with pytest.raises(FeedError, match="absurd timestamp") as info:
            clock.check(absurd, "w")
        assert info.value.reason == "timestamp"
    assert clock.check_future(NOW + timedelta(days=60), "w") == NOW + timedelta(days=60)
    with pytest.raises(FeedError, match="absurd timestamp"):
        clock.check_future(NOW + timedelta(days=91), "w")
    assert clock.opt_ts(None, "w") is None
    assert clock.ts("2025-07-16T11:00:00Z", "w") == NOW - timedelta(hours=1)
    assert Clock(NOW.replace(tzinfo=None)).now == NOW  # a naive now is taken as UTC


def test_tz_offset() -> None:
    assert tz_offset("utc") == timedelta(0)
    assert tz_offset("PDT") == timedelta(hours=-7)
    assert tz_offset("IST") == timedelta(hours=5, minutes=30)
    assert tz_offset("UTC+5:30") == timedelta(hours=5, minutes=30)
    assert tz_offset("GMT-3") == timedelta(hours=-3)
    assert tz_offset("XYZ") is None
