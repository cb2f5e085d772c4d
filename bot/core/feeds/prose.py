"""Hints read from an update's prose: Statuspage and RSS/Atom have no structured progress.

`progress_from_text` finds lines like `Contacts: 80% restored`; `next_update_from_text` finds
promises like `another update by 20:15 UTC` or `next update in 2 hours`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.core.feeds.models import DataProgress, DataState
from bot.core.feeds.time import tz_offset

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


_NEXT_AT = re.compile(
    r"\b(?:next|another|further|an?)\s+update\s+(?:by|at|around|before)\s+"
    r"(\d{1,2}):(\d{2})\s*([A-Z]{1,4}(?:[+-]\d{1,2}(?::?\d{2})?)?)\b",
)
_NEXT_IN = re.compile(
    r"\b(?:next|another|further|an?)\s+update\s+(?:with)?in\s+(?:the\s+next\s+)?(\d{1,3})\s*"
    r"(minutes?|mins?|hours?|hrs?)\b",
    re.IGNORECASE,
)


def next_update_from_text(text: str, published_at: datetime) -> datetime | None:
    """`... another update by 20:15 UTC` or `... next update in 2 hours`, relative to the update."""
    match = _NEXT_AT.search(text)
    if match:
        offset = tz_offset(match[3])
        hour, minute = int(match[1]), int(match[2])
        if offset is not None and hour < 24 and minute < 60:
            local = published_at + offset
            candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0) - offset
            return candidate if candidate >= published_at else candidate + timedelta(days=1)
    match = _NEXT_IN.search(text)
    if match:
        amount = int(match[1])
        unit = timedelta(hours=1) if match[2].lower().startswith("h") else timedelta(minutes=1)
        return published_at + amount * unit
    return None
