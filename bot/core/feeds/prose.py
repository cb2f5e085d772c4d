"""Hints read from an update's prose: Statuspage and RSS/Atom have no structured progress.

`progress_from_text` finds lines like `Contacts: 80% restored`; `next_update_from_text` finds
promises like `another update by 20:15 UTC` or `next update in 2 hours`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.core.feeds.models import DataProgress, DataState
from bot.core.feeds.time import tz_offset, zone_offset

_DATA_TYPES = {
    "contacts": "contacts",
    "contact": "contacts",
    "address book": "contacts",
    "calendar": "calendar",
    "calendars": "calendar",
    "photos": "photos",
    "photo": "photos",
    "pictures": "photos",
    "notes": "notes",
    "note": "notes",
    "memos": "notes",
    "tasks": "tasks",
    "to-dos": "tasks",
    "todos": "tasks",
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "messages": "messages",
    "sms": "messages",
    "bookmarks": "bookmarks",
    "settings": "settings",
    "apps": "apps",
}
_PROGRESS_LINE = re.compile(
    r"^[\s\-*•]*(?P<name>[a-z][a-z -]{1,20}?)\s*[:\-–]\s*"
    r"(?:(?P<pct>\d{1,3})(?:\.\d+)?\s*%\s*)?(?P<word>[a-z][a-z -]{0,30})?[.!]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_WORD_STATES: tuple[tuple[str, DataState], ...] = (
    ("not recoverable", "not_recoverable"),
    ("unrecoverable", "not_recoverable"),
    ("lost", "not_recoverable"),
    ("in progress", "in_progress"),
    ("restoring", "in_progress"),
    ("pending", "pending"),
    ("queued", "pending"),
    ("partial", "partial"),
    ("restored", "restored"),
    ("recovered", "restored"),
    ("complete", "restored"),
)


def progress_from_text(text: str) -> dict[str, DataProgress]:
    """Lines like `Contacts: 80% restored` or `Photos: pending`, for known data types only."""
    if "%" not in text and ":" not in text:
        return {}
    found: dict[str, DataProgress] = {}
    for match in _PROGRESS_LINE.finditer(text):
        name = _DATA_TYPES.get(" ".join(match["name"].lower().split()))
        if name is None:
            continue
        percent = min(int(match["pct"]), 100) if match["pct"] else None
        word = (match["word"] or "").lower()
        state = next((s for w, s in _WORD_STATES if w in word), None)
        if state is None and percent is None:
            continue
        if state in (None, "restored") and percent is not None:
            state = "restored" if percent == 100 else "partial" if percent > 0 else "pending"
        found[name] = DataProgress(state=state or "pending", percent=percent)
    return found


# Promises as Statuspage writers phrase them. A clock time needs a zone (a bare "by 14:00" could be
# any zone: better no promise than a wrong one); a 12-hour time needs am/pm.
_UPDATE_NOUN = r"(?:(?:next|another|further|an?|the\s+next|more|our\s+next)\s+)?(?:status\s+)?updates?"
_LEAD = (
    rf"(?:\b{_UPDATE_NOUN}(?:\s+(?:will\s+be|is|should\s+be)(?:\s+(?:provided|posted|shared|sent|expected|"
    r"scheduled|planned|given|available))?|\s+(?:expected|scheduled|planned|to\s+follow|will\s+follow|"
    r"will\s+come|coming))?"
    r"|\bupdate\s+(?:you|this(?:\s+(?:page|incident|post))?|again|everyone|customers)"
    r"|\b(?:provide|post|share|send|give|publish)\s+(?:more\s+)?(?:information|details|news)"
    r"|\bnext\s+update\s*:)"
)
_CLOCK = (
    r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?\s*"
    r"(?P<tz>[A-Z]{1,5}(?:\s?[+-]\s?\d{1,2}(?::?\d{2})?)?)?\b"
)
_NEXT_AT = re.compile(
    rf"{_LEAD}[^.\n]{{0,25}}?\b(?:by|at|around|before|no\s+later\s+than|until)\s+(?:approximately\s+|about\s+)?{_CLOCK}",
    re.IGNORECASE,
)
_NEXT_COLON = re.compile(rf"\bnext\s+update\s*(?:[:\-–]|expected|due)\s*(?:by\s+|at\s+)?{_CLOCK}", re.IGNORECASE)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty-five": 45, "forty five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_AMOUNT = r"(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty[- ]five|sixty|ninety)"
_UNIT = r"(?P<unit>minutes?|mins?|hours?|hrs?)"
_NEXT_IN = re.compile(
    rf"{_LEAD}[^.\n]{{0,25}}?\b(?:with)?in\s+(?:the\s+next\s+|about\s+|approximately\s+|roughly\s+|around\s+)?"
    rf"(?:(?P<half>half\s+an\s+hour)|{_AMOUNT}\s*{_UNIT}|(?P<hour>(?:the\s+)?(?:next\s+)?hour))\b",
    re.IGNORECASE,
)
_EVERY = re.compile(rf"\bupdates?\b[^.\n]{{0,40}}?\bevery\s+(?:{_AMOUNT}\s*{_UNIT}|(?P<hour>hour))\b", re.IGNORECASE)


def next_update_from_text(text: str, published_at: datetime) -> datetime | None:
    """When the update promises the next one: `another update by 20:15 UTC`, `by 2:30 PM PT`,
    `next update in 30 minutes`, `within the next hour`, `updates every 30 minutes`; relative to
    the update's own time. Case does not matter. None when nothing (or nothing usable) is promised."""
    for at in (*_NEXT_AT.finditer(text), *_NEXT_COLON.finditer(text)):
        found = _clock_time(at, published_at)
        if found is not None:
            return found
    match = _NEXT_IN.search(text) or _EVERY.search(text)
    if match is None:
        return None
    if match.groupdict().get("half"):
        return published_at + timedelta(minutes=30)
    if match["hour"]:
        return published_at + timedelta(hours=1)
    raw = match["n"].lower().replace("-", " ") if match["n"] else "1"
    amount = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, _NUMBER_WORDS.get(raw.replace(" ", "-"), 1))
    unit = timedelta(hours=1) if match["unit"].lower().startswith("h") else timedelta(minutes=1)
    return published_at + amount * unit if amount else None


def _clock_time(match: re.Match[str], published_at: datetime) -> datetime | None:
    if not match["tz"]:
        return None
    label = match["tz"].replace(" ", "")
    if label.upper() not in ("UTC", "GMT", "Z") and tz_offset(label) is None and label.upper() not in _GENERIC:
        return None  # "by 14:00 XYZ" or a word that only looked like a zone
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    elif match["m"] is None:
        return None  # "by 3 UTC" is too vague to promise
    if hour > 23 or minute > 59:
        return None
    offset = zone_offset(label, published_at)
    local = published_at + offset
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0) - offset
    return candidate if candidate >= published_at else candidate + timedelta(days=1)


_GENERIC = frozenset({"PT", "MT", "CT", "ET"})


def parse_promise(text: str, now: datetime) -> datetime | None:
    """What staff typed as the next update time: `20:15 UTC`, `2:30 PM PT`, `in 2 hours`,
    `2025-07-16 20:15 UTC` or an ISO 8601 time; None for an empty field. Raises ValueError when
    the text is not a time we can read (a form should say so rather than drop the promise)."""
    text = " ".join(text.split())
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is None:
            raise ValueError(f"{text!r} has no time zone; add UTC (or another zone)")
        return parsed.astimezone(UTC)
    lowered = text.lower()
    phrase = lowered if lowered.startswith(("in ", "within ")) else f"by {text}"
    found = next_update_from_text(f"Next update {phrase}", now)
    if found is None:
        raise ValueError(f"{text!r} is not a time: write e.g. 20:15 UTC, 2:30 PM PT or in 2 hours")
    return found
