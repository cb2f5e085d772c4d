"""Feed-neutral models produced by every parser, and the normalisation rules they share.

Every parser turns its source into these frozen models: times are aware UTC instants, states
are normalised, bodies are plain text, and each update carries a stable `key` (same item across
polls) and a `content_hash` (changes when the source edits the item in place).
"""

from __future__ import annotations

import gc
import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

UpdateState = Literal[
    "investigating",
    "identified",
    "monitoring",
    "recovering",
    "resolved",
    "postmortem",
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
    "unknown",
]
Impact = Literal["none", "minor", "major", "critical", "maintenance", "unknown"]
DataState = Literal["restored", "partial", "in_progress", "pending", "not_recoverable"]
DeviceRecoveryState = Literal["restored", "partial", "not_recoverable", "pending", "in_progress"]
FeedFormat = Literal["statuspage", "rss", "atom", "recovery"]
IncidentKind = Literal["incident", "maintenance"]

UPDATE_STATES: frozenset[str] = frozenset(get_args(UpdateState))
IMPACTS: frozenset[str] = frozenset(get_args(Impact))
DATA_STATES: frozenset[str] = frozenset(get_args(DataState))
DEVICE_STATES: frozenset[str] = frozenset(get_args(DeviceRecoveryState))
FORMATS: frozenset[str] = frozenset(get_args(FeedFormat))
MAINTENANCE_STATES: frozenset[str] = frozenset({"scheduled", "in_progress", "verifying", "completed"})
CLOSED_STATES: frozenset[str] = frozenset({"resolved", "postmortem", "completed"})

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Default size cap, checked before any parsing (a 100,000-device recovery page is ~12 MB)."""
MAX_TEXT_CHARS = 4000
"""Bodies longer than this are cut (the hash still covers the full text)."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)
PROMISE_HORIZON = timedelta(days=90)


class FeedError(Exception):
    """The body is not a usable feed. `str()` is one line, fit for an operator; `reason` is a short code.

    Reasons: empty, too_large, html_page, not_a_feed, encoding, truncated, malformed, schema,
    timestamp, unknown_format, internal.
    """

    def __init__(self, message: str, reason: str = "malformed") -> None:
        one_line = " ".join(message.split())
        super().__init__(one_line[:400])
        self.reason = reason


@contextmanager
def gc_paused(active: bool = True) -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic objects (it would rescan them repeatedly)."""
    paused = active and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataProgress(_Frozen):
    state: DataState
    percent: int | None = Field(default=None, ge=0, le=100)


class FeedUpdate(_Frozen):
    key: str
    incident_key: str
    incident_title: str
    state: UpdateState
    body: str
    published_at: UtcDatetime
    edited_at: UtcDatetime | None = None
    content_hash: str
    progress: dict[str, DataProgress] = Field(default_factory=dict)
    next_update_by: UtcDatetime | None = None
    impact: Impact = "unknown"
    url: str | None = None

    def __hash__(self) -> int:  # `progress` is a dict; equal updates share key and content hash
        return hash((self.key, self.content_hash, self.published_at, self.edited_at))


class FeedIncident(_Frozen):
    key: str
    title: str
    state: UpdateState
    impact: Impact = "unknown"
    kind: IncidentKind = "incident"
    created_at: UtcDatetime
    updated_at: UtcDatetime
    resolved_at: UtcDatetime | None = None
    scheduled_for: UtcDatetime | None = None
    scheduled_until: UtcDatetime | None = None
    url: str | None = None
    updates: tuple[FeedUpdate, ...] = ()


class DeviceState(_Frozen):
    device_id: str
    state: DeviceRecoveryState
    progress: dict[str, DataProgress] = Field(default_factory=dict)
    updated_at: UtcDatetime
    note: str | None = None

    def __hash__(self) -> int:  # `progress` is a dict
        return hash((self.device_id, self.state, self.updated_at, self.note))


class PageStatus(_Frozen):
    indicator: Impact = "unknown"
    description: str | None = None


class FeedSnapshot(_Frozen):
    format: FeedFormat
    incidents: tuple[FeedIncident, ...] = ()
    page_status: PageStatus | None = None
    device_states: tuple[DeviceState, ...] = ()
    next_cursor: str | None = None
    source_title: str | None = None
    source_url: str | None = None
    fetched_at: UtcDatetime


# --- states ---------------------------------------------------------------------------------

_STATE_ALIASES = {
    "in progress": "in_progress",
    "in-progress": "in_progress",
    "inprogress": "in_progress",
    "recovery": "recovering",
    "restoring": "recovering",
    "post-mortem": "postmortem",
    "post mortem": "postmortem",
    "complete": "completed",
    "closed": "resolved",
}


def norm_state(raw: object) -> UpdateState:
    """Map a source status/label to an `UpdateState` (unknown when unrecognised)."""
    if not isinstance(raw, str):
        return "unknown"
    text = " ".join(raw.strip().lower().replace("_", " ").split())
    text = _STATE_ALIASES.get(text, text).replace(" ", "_")
    return text if text in UPDATE_STATES else "unknown"  # type: ignore[return-value]


def norm_impact(raw: object) -> Impact:
    if not isinstance(raw, str):
        return "unknown"
    text = raw.strip().lower()
    if text == "scheduled":
        return "maintenance"
    return text if text in IMPACTS else "unknown"  # type: ignore[return-value]


# --- text -----------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre"})
_SKIP_TAGS = frozenset({"script", "style"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_KNOWN_TAG = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|small|var|code|pre|ul|ol|li|h[1-6]|blockquote)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_text(text: str) -> str:
    """Unescape entities, normalise newlines and Unicode, drop control characters, trim."""
    text = html.unescape(text) if "&" in text else text
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (tolerates unbalanced and nested tags)."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return clean_text("".join(parser.parts))


def plain_to_text(text: str) -> str:
    """Plain text of a body meant to be text, removing only well-known stray HTML tags."""
    if "<" in text:
        text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
        text = _KNOWN_TAG.sub("", text)
    return clean_text(text)


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def content_hash(title: str, state: str, body: str, progress: dict[str, DataProgress]) -> str:
    progress_part = {name: [p.state, p.percent] for name, p in sorted(progress.items())}
    payload = json.dumps([title, state, body, progress_part], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_update(
    *,
    key: str,
    incident_key: str,
    incident_title: str,
    state: UpdateState,
    body: str,
    published_at: datetime,
    edited_at: datetime | None = None,
    progress: dict[str, DataProgress] | None = None,
    next_update_by: datetime | None = None,
    impact: Impact = "unknown",
    url: str | None = None,
) -> FeedUpdate:
    """Build a `FeedUpdate` from normalised text; hashes the full body, stores a clipped copy."""
    progress = progress or {}
    return FeedUpdate(
        key=key,
        incident_key=incident_key,
        incident_title=incident_title,
        state=state,
        body=clip(body),
        published_at=published_at,
        edited_at=edited_at,
        content_hash=content_hash(incident_title, state, body, progress),
        progress=progress,
        next_update_by=next_update_by,
        impact=impact,
        url=url,
    )


# --- time -----------------------------------------------------------------------------------


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


def validation_message(prefix: str, err: ValidationError) -> str:
    """One line naming the first invalid field, e.g. `incidents.0.updates.2.state: Input should be ...`."""
    first = err.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{prefix}: {loc}: {first['msg']}{more}"


# --- hints read from prose (Statuspage and RSS/Atom have no structured progress) --------------

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
