"""Feed-neutral models produced by every parser, and the normalisation of states and impacts.

Every parser turns its source into these frozen models: times are aware UTC instants, states
are normalised, bodies are plain text (`bot.core.feeds.text`), and each update carries a stable
`key` (same item across polls) and a `content_hash` (changes when the source edits the item in place).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
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


def validation_message(prefix: str, err: ValidationError) -> str:
    """One line naming the first invalid field, e.g. `incidents.0.updates.2.state: Input should be ...`."""
    first = err.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{prefix}: {loc}: {first['msg']}{more}"
