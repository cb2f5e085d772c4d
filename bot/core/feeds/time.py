"""Feed timestamps: parsed to aware UTC, checked against the caller's clock, and time-zone labels.

Labels are the weakest evidence of time in a feed: old Statuspage feeds print "PST" on every stamp,
also in summer, while the item's own date carries the right numeric offset. `zone_offset` therefore
prefers a numeric offset, and reads a standard/daylight label of the same region as the item's own
offset when the two disagree. An unknown label is logged, never silently taken as UTC.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# Standard/daylight pairs of one region, and the generic label that means "whichever applies".
_FAMILIES: dict[str, tuple[str, int, int]] = {
    "PST": ("America/Los_Angeles", -8, -7),
    "PDT": ("America/Los_Angeles", -8, -7),
    "PT": ("America/Los_Angeles", -8, -7),
    "MST": ("America/Denver", -7, -6),
    "MDT": ("America/Denver", -7, -6),
    "MT": ("America/Denver", -7, -6),
    "CST": ("America/Chicago", -6, -5),
    "CDT": ("America/Chicago", -6, -5),
    "CT": ("America/Chicago", -6, -5),
    "EST": ("America/New_York", -5, -4),
    "EDT": ("America/New_York", -5, -4),
    "ET": ("America/New_York", -5, -4),
    "AKST": ("America/Anchorage", -9, -8),
    "AKDT": ("America/Anchorage", -9, -8),
    "CET": ("Europe/Paris", 1, 2),
    "CEST": ("Europe/Paris", 1, 2),
    "EET": ("Europe/Athens", 2, 3),
    "EEST": ("Europe/Athens", 2, 3),
    "AEST": ("Australia/Sydney", 10, 11),
    "AEDT": ("Australia/Sydney", 10, 11),
}
log = logging.getLogger(__name__)


def zone_offset(label: str | None, at: datetime, own: timedelta | None = None, where: str = "feed") -> timedelta:
    """The UTC offset a stamp labelled `label` means near instant `at`.

    `own` is the numeric offset of the item's own date, when it has one. A numeric label wins; a
    standard/daylight label (PST, CEST...) that contradicts `own` within its region yields `own`;
    a generic label (PT, ET...) takes `own` or the region's rule at `at`. An unknown label is logged
    and replaced by `own`, or UTC when the item has no offset either.
    """
    text = (label or "").strip().upper()
    if not text:
        return own if own is not None else timedelta(0)
    family = _FAMILIES.get(text)
    if family is not None:
        region, std, dst = family
        choices = (timedelta(hours=std), timedelta(hours=dst))
        if own is not None and own in choices:
            return own
        if text in ("PT", "MT", "CT", "ET"):
            return _regional(region, at) or choices[0]
    offset = tz_offset(text)
    if offset is not None:
        return offset
    fallback = own if own is not None else timedelta(0)
    log.warning("%s: unknown time-zone label %r; using %s", where, label, _fmt_offset(fallback))
    return fallback


def _regional(region: str, at: datetime) -> timedelta | None:
    try:
        return at.astimezone(ZoneInfo(region)).utcoffset()
    except ZoneInfoNotFoundError:  # no tz database on this host: the caller uses standard time
        return None


def _fmt_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def tz_offset(abbr: str) -> timedelta | None:
    """Offset of a time-zone abbreviation or `UTC+2`-style label; None when unknown."""
    abbr = abbr.strip().upper()
    if abbr in _TZ_OFFSETS:
        hours = _TZ_OFFSETS[abbr]
        return timedelta(hours=hours, minutes=30 if abbr == "IST" else 0)
    match = re.fullmatch(r"(?:UTC|GMT|Z)?([+-])(\d{1,2})(?::?(\d{2}))?", abbr)
    if match is None:
        return None
    delta = timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
    return delta if match[1] == "+" else -delta
