"""Our own recovery-feed JSON (version 1), documented in docs/recovery-feed.md.

The envelope and incidents are validated by the strict pydantic models below, which mirror
docs/recovery-feed.schema.json. Device items can number 100,000 per page, so they are checked by
hand against the same rules and built with `model_construct` (no second validation pass).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bot.core.feeds.models import (
    DATA_STATES,
    DEVICE_STATES,
    DataProgress,
    DataState,
    DeviceRecoveryState,
    DeviceState,
    FeedError,
    FeedIncident,
    FeedSnapshot,
    FeedUpdate,
    gc_paused,
    validation_message,
)
from bot.core.feeds.text import clean_text, make_update, plain_to_text
from bot.core.feeds.time import Clock, parse_timestamp

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
DATA_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
URL_PATTERN = r"^https?://\S{1,2040}$"
MAX_TITLE, MAX_BODY, MAX_NOTE, MAX_CURSOR, MAX_TIMESTAMP = 300, 20000, 500, 512, 40

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
_DATA_KEY = re.compile(DATA_KEY_PATTERN)
_DEVICE_KEYS = frozenset({"device_id", "state", "progress", "updated_at", "note"})
_PROGRESS_KEYS = frozenset({"state", "percent"})

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
DataKey = Annotated[str, StringConstraints(pattern=DATA_KEY_PATTERN)]
Timestamp = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TIMESTAMP)]
SourceState = Literal[
    "investigating", "identified", "monitoring", "recovering", "resolved", "postmortem",
    "scheduled", "in_progress", "verifying", "completed",
]  # fmt: skip
SourceImpact = Literal["none", "minor", "major", "critical", "maintenance"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProgressIn(_Strict):
    state: DataState
    percent: int | None = Field(default=None, ge=0, le=100)


class UpdateIn(_Strict):
    id: Id
    state: SourceState
    body: Annotated[str, StringConstraints(max_length=MAX_BODY)]
    published_at: Timestamp
    edited_at: Timestamp | None = None
    progress: dict[DataKey, ProgressIn] = Field(default_factory=dict)
    next_update_by: Timestamp | None = None


class IncidentIn(_Strict):
    id: Id
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE)]
    state: SourceState
    impact: SourceImpact
    created_at: Timestamp
    updated_at: Timestamp
    resolved_at: Timestamp | None = None
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN)] | None = None
    updates: list[UpdateIn]


class DevicesIn(_Strict):
    items: list[Any]
    next_cursor: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CURSOR)] | None = None


class RecoveryFeedIn(_Strict):
    version: Literal[1]
    generated_at: Timestamp
    incidents: list[IncidentIn] = Field(default_factory=list)
    devices: DevicesIn | None = None


def looks_like_recovery(data: object) -> bool:
    return isinstance(data, dict) and "version" in data and ("incidents" in data or "devices" in data)


def parse_recovery(data: object, clock: Clock) -> FeedSnapshot:
    """Parse an already-decoded recovery-feed document."""
    if not looks_like_recovery(data):
        raise FeedError("not a recovery feed (needs 'version' and 'incidents' or 'devices')", "schema")
    assert isinstance(data, dict)  # narrowing for mypy
    if data.get("version") != 1 or type(data.get("version")) is not int:
        raise FeedError(f"unsupported recovery feed version {data.get('version')!r} (this bot reads 1)", "schema")
    try:
        doc = RecoveryFeedIn.model_validate(data)
    except ValidationError as err:
        raise FeedError(validation_message("recovery feed has the wrong shape", err), "schema") from None
    clock.ts(doc.generated_at, "generated_at")

    incidents: dict[str, FeedIncident] = {}
    for index, raw in enumerate(doc.incidents):
        if f"recovery:{raw.id}" in incidents:
            raise FeedError(f"recovery feed: incidents[{index}]: duplicate incident id {raw.id!r}", "schema")
        incidents[f"recovery:{raw.id}"] = _incident(raw, f"incidents[{index}]", clock)

    devices: dict[str, DeviceState] = {}
    cursor = None
    if doc.devices is not None:
        cursor = doc.devices.next_cursor
        devices = _devices(doc.devices.items, clock)
    return FeedSnapshot(
        format="recovery",
        incidents=tuple(sorted(incidents.values(), key=lambda i: (i.created_at, i.key))),
        device_states=tuple(devices.values()),
        next_cursor=cursor,
        fetched_at=clock.now,
    )


def _incident(raw: IncidentIn, where: str, clock: Clock) -> FeedIncident:
    key = f"recovery:{raw.id}"
    title = plain_to_text(raw.title)
    updates: dict[str, FeedUpdate] = {}
    for index, update in enumerate(raw.updates):
        uwhere = f"{where}.updates[{index}]"
        if f"{key}:{update.id}" in updates:
            raise FeedError(f"recovery feed: {uwhere}: duplicate update id {update.id!r}", "schema")
        promised = None
        if update.next_update_by is not None:
            promised = parse_timestamp(update.next_update_by, f"{uwhere}.next_update_by")
            clock.check_future(promised, f"{uwhere}.next_update_by")
        progress = {name: DataProgress(state=p.state, percent=p.percent) for name, p in update.progress.items()}
        updates[f"{key}:{update.id}"] = make_update(
            key=f"{key}:{update.id}",
            incident_key=key,
            incident_title=title,
            state=update.state,
            body=plain_to_text(update.body),
            published_at=clock.ts(update.published_at, f"{uwhere}.published_at"),
            edited_at=clock.opt_ts(update.edited_at, f"{uwhere}.edited_at"),
            progress=progress,
            next_update_by=promised,
            impact=raw.impact,
            url=raw.url,
        )
    return FeedIncident(
        key=key,
        title=title,
        state=raw.state,
        impact=raw.impact,
        kind="maintenance" if raw.impact == "maintenance" else "incident",
        created_at=clock.ts(raw.created_at, f"{where}.created_at"),
        updated_at=clock.ts(raw.updated_at, f"{where}.updated_at"),
        resolved_at=clock.opt_ts(raw.resolved_at, f"{where}.resolved_at"),
        url=raw.url,
        updates=tuple(sorted(updates.values(), key=lambda u: (u.published_at, u.key))),
    )


class _Cache:
    """Per-parse memo: device pages repeat the same stamps and (state, percent) pairs a lot."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.stamps: dict[str, datetime] = {}
        self.progress: dict[tuple[DataState, int | None], DataProgress] = {}

    def stamp(self, value: str, index: int) -> datetime:
        parsed = self.stamps.get(value)
        if parsed is None:
            parsed = self.stamps[value] = self.clock.ts(value, f"devices.items[{index}].updated_at")
        return parsed

    def data(self, state: DataState, percent: int | None) -> DataProgress:
        found = self.progress.get((state, percent))
        if found is None:  # frozen, so one instance can be shared
            found = self.progress[(state, percent)] = DataProgress.model_construct(state=state, percent=percent)
        return found


def _devices(items: list[Any], clock: Clock) -> dict[str, DeviceState]:
    """Check and build device states; the latest `updated_at` wins for a repeated device."""
    cache = _Cache(clock)
    devices: dict[str, DeviceState] = {}
    # Building 100k objects while 100k parsed JSON dicts are alive makes the cyclic GC rescan
    # everything many times (half the parse time); nothing here creates reference cycles.
    with gc_paused(len(items) > 1000):
        for index, item in enumerate(items):
            device = _device(item, index, cache)
            known = devices.get(device.device_id)
            if known is None or device.updated_at >= known.updated_at:
                devices[device.device_id] = device
    return devices


def _bad(index: int, field: str, problem: str) -> FeedError:
    return FeedError(f"recovery feed: devices.items[{index}].{field}: {problem}", "schema")


def _device(item: object, index: int, cache: _Cache) -> DeviceState:
    """Hand-checked equivalent of the schema's `device` definition (hot path: keep it lean)."""
    if type(item) is not dict:
        raise FeedError(f"recovery feed: devices.items[{index}]: expected an object", "schema")
    if not item.keys() <= _DEVICE_KEYS:
        raise _bad(index, sorted(item.keys() - _DEVICE_KEYS)[0], "unexpected field")
    device_id = item.get("device_id")
    if type(device_id) is not str or not _DEVICE_ID.fullmatch(device_id):
        raise _bad(index, "device_id", f"expected an id matching {DEVICE_ID_PATTERN}, got {device_id!r:.40}")
    state = item.get("state")
    if type(state) is not str or state not in DEVICE_STATES:
        raise _bad(index, "state", f"expected one of {sorted(DEVICE_STATES)}, got {state!r:.40}")
    stamp = item.get("updated_at")
    if type(stamp) is not str or len(stamp) > MAX_TIMESTAMP:
        raise _bad(index, "updated_at", "expected an ISO 8601 timestamp string")
    updated_at = cache.stamp(stamp, index)
    progress = _progress(item["progress"], index, cache) if "progress" in item else {}
    note = item.get("note")
    if note is not None:
        if type(note) is not str or len(note) > MAX_NOTE:
            raise _bad(index, "note", f"expected a string of at most {MAX_NOTE} characters")
        note = clean_text(note) or None
    return DeviceState.model_construct(
        device_id=device_id,
        state=cast(DeviceRecoveryState, state),
        progress=progress,
        updated_at=updated_at,
        note=note,
    )


def _progress(value: object, index: int, cache: _Cache) -> dict[str, DataProgress]:
    if type(value) is not dict:
        raise _bad(index, "progress", "expected an object")
    result: dict[str, DataProgress] = {}
    for name, entry in value.items():
        if type(name) is not str or not _DATA_KEY.fullmatch(name):
            raise _bad(index, "progress", f"bad data type name {name!r:.40}")
        if type(entry) is not dict or not entry.keys() <= _PROGRESS_KEYS:
            raise _bad(index, f"progress.{name}", "expected {state, percent?}")
        state, percent = entry.get("state"), entry.get("percent")
        if type(state) is not str or state not in DATA_STATES:
            raise _bad(index, f"progress.{name}.state", f"expected one of {sorted(DATA_STATES)}")
        if percent is not None and (type(percent) is not int or not 0 <= percent <= 100):
            raise _bad(index, f"progress.{name}.percent", "expected an integer 0..100")
        result[name] = cache.data(cast(DataState, state), percent)
    return result
