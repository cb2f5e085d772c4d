"""Feed timestamps: parsed to aware UTC, checked against the caller's clock, and time-zone labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.core.feeds.models import FeedError

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)
PROMISE_HORIZON = timedelta(days=90)


def parse_timestamp(value: object, where: str, *, assume_utc: bool = False) -> datetime:
    """An ISO 8601 / RFC 3339 string as an aware UTC datetime, or FeedError."""
    if not isinstance(value, str):
        raise FeedError(f"{where}: expected an ISO 8601 timestamp string, got {type(value).__name__}", "schema")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FeedError(f"{where}: not an ISO 8601 timestamp: {value[:40]!r}", "timestamp") from None
    if parsed.tzinfo is None:
        if not assume_utc:
            raise FeedError(f"{where}: timestamp {value[:40]!r} has no UTC offset", "timestamp")
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class Clock:
    """Bounds checks against the caller's `now`: nothing before 2000, nothing past now + 2 days."""

    def __init__(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now.astimezone(UTC)
        self._latest = self.now + FUTURE_SLACK
        self._horizon = self.now + PROMISE_HORIZON

    def check(self, value: datetime, where: str) -> datetime:
        if value < EARLIEST or value > self._latest:
            now = f"{self.now:%Y-%m-%dT%H:%MZ}"
            raise FeedError(f"{where}: absurd timestamp {value.isoformat()} (now is {now})", "timestamp")
        return value

    def check_future(self, value: datetime, where: str) -> datetime:
        """For promised or scheduled times, which may lie ahead (up to 90 days)."""
        if value < EARLIEST or value > self._horizon:
            raise FeedError(f"{where}: absurd timestamp {value.isoformat()}", "timestamp")
        return value

    def ts(self, value: object, where: str, *, assume_utc: bool = False) -> datetime:
        return self.check(parse_timestamp(value, where, assume_utc=assume_utc), where)

    def opt_ts(self, value: object, where: str, *, assume_utc: bool = False) -> datetime | None:
        return None if value is None else self.ts(value, where, assume_utc=assume_utc)


_TZ_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
    "IST": 5,
}


def tz_offset(abbr: str) -> timedelta | None:
    """Offset of a time-zone abbreviation or `UTC+2`-style label; None when unknown."""
    abbr = abbr.strip().upper()
    if abbr in _TZ_OFFSETS:
        hours = _TZ_OFFSETS[abbr]
        return timedelta(hours=hours, minutes=30 if abbr == "IST" else 0)
    match = re.fullmatch(r"(?:UTC|GMT)([+-])(\d{1,2})(?::?(\d{2}))?", abbr)
    if match is None:
        return None
    delta = timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
    return delta if match[1] == "+" else -delta
