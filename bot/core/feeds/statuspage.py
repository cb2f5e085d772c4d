"""Atlassian Statuspage API v2 documents: summary, status, incidents, unresolved, maintenances.

Quirks handled: local UTC offsets (compared as instants), updates edited in place (deduped by id,
newest `updated_at` wins, edit shown by `edited_at` and `content_hash`), `\\r\\n` and stray HTML in
bodies, empty lists as the healthy state. Deliberately ignored: components and the unreliable
`affected_components`; impact is never derived from the page indicator nor the reverse; the
status is kept as given even when the prose runs ahead of it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.feeds.models import (
    CLOSED_STATES,
    FeedError,
    FeedIncident,
    FeedSnapshot,
    FeedUpdate,
    IncidentKind,
    PageStatus,
    norm_impact,
    norm_state,
    validation_message,
)
from bot.core.feeds.prose import next_update_from_text, progress_from_text
from bot.core.feeds.text import make_update, plain_to_text
from bot.core.feeds.time import Clock, parse_timestamp

_DOCUMENT_KEYS = ("incidents", "scheduled_maintenances", "status", "components", "incident")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Update(_Lenient):
    id: str
    status: str | None = None
    body: str | None = None
    created_at: str
    updated_at: str | None = None
    display_at: str | None = None


class _Incident(_Lenient):
    id: str
    name: str
    status: str | None = None
    impact: str | None = None
    created_at: str
    updated_at: str | None = None
    resolved_at: str | None = None
    shortlink: str | None = None
    scheduled_for: str | None = None
    scheduled_until: str | None = None
    incident_updates: list[_Update] | None = None


class _Page(_Lenient):
    id: str
    name: str | None = None
    url: str | None = None


class _Status(_Lenient):
    indicator: str | None = None
    description: str | None = None


class _Document(_Lenient):
    page: _Page
    incidents: list[_Incident] | None = None
    scheduled_maintenances: list[_Incident] | None = None
    incident: _Incident | None = None
    status: _Status | None = None


def looks_like_statuspage(data: object) -> bool:
    return isinstance(data, dict) and "page" in data and any(k in data for k in _DOCUMENT_KEYS)


def parse_statuspage(data: object, clock: Clock) -> FeedSnapshot:
    """Parse an already-decoded Statuspage v2 JSON document."""
    if not looks_like_statuspage(data):
        keys = ", ".join(sorted(data)[:8]) if isinstance(data, dict) else type(data).__name__
        raise FeedError(f"not a Statuspage v2 document (needs 'page' and incidents/status; got: {keys})", "schema")
    try:
        doc = _Document.model_validate(data)
    except ValidationError as err:
        raise FeedError(validation_message("Statuspage document has the wrong shape", err), "schema") from None

    found: dict[str, FeedIncident] = {}
    sources: list[tuple[str, list[_Incident], IncidentKind]] = [
        ("incidents", doc.incidents or [], "incident"),
        ("scheduled_maintenances", doc.scheduled_maintenances or [], "maintenance"),
        ("incident", [doc.incident] if doc.incident else [], "incident"),
    ]
    for field, items, kind in sources:
        for index, raw in enumerate(items):
            incident = _incident(raw, kind, f"{field}[{index}]", clock)
            previous = found.get(incident.key)
            if previous is None or incident.updated_at >= previous.updated_at:
                found[incident.key] = incident
    incidents = tuple(sorted(found.values(), key=lambda i: (i.created_at, i.key)))

    page_status = None
    if doc.status is not None:
        page_status = PageStatus(indicator=norm_impact(doc.status.indicator), description=doc.status.description)
    return FeedSnapshot(
        format="statuspage",
        incidents=incidents,
        page_status=page_status,
        source_title=doc.page.name,
        source_url=doc.page.url,
        fetched_at=clock.now,
    )


def _incident(raw: _Incident, kind: IncidentKind, where: str, clock: Clock) -> FeedIncident:
    key = f"statuspage:{raw.id}"
    title = plain_to_text(raw.name) or "(untitled incident)"
    impact = norm_impact(raw.impact)
    state = norm_state(raw.status)
    url = raw.shortlink or None

    latest: dict[str, tuple[datetime, _Update]] = {}
    for index, update in enumerate(raw.incident_updates or []):
        changed = clock.opt_ts(update.updated_at, f"{where}.incident_updates[{index}].updated_at", assume_utc=True)
        created = clock.ts(update.created_at, f"{where}.incident_updates[{index}].created_at", assume_utc=True)
        stamp = changed or created
        if update.id not in latest or stamp >= latest[update.id][0]:
            latest[update.id] = (stamp, update)

    updates: list[FeedUpdate] = []
    for update_id, (_, update) in latest.items():
        uwhere = f"{where}.incident_updates[id={update_id}]"
        created = clock.ts(update.created_at, f"{uwhere}.created_at", assume_utc=True)
        shown = clock.opt_ts(update.display_at, f"{uwhere}.display_at", assume_utc=True) or created
        changed = clock.opt_ts(update.updated_at, f"{uwhere}.updated_at", assume_utc=True)
        edited = changed if changed is not None and (changed - created).total_seconds() > 1 else None
        body = plain_to_text(update.body or "")
        promised = next_update_from_text(body, shown)
        updates.append(
            make_update(
                key=f"{key}:{update_id}",
                incident_key=key,
                incident_title=title,
                state=norm_state(update.status),
                body=body,
                published_at=shown,
                edited_at=edited,
                progress=progress_from_text(body),
                next_update_by=clock.check_future(promised, f"{uwhere} promised update") if promised else None,
                impact=impact,
                url=url,
            )
        )
    updates.sort(key=lambda u: (u.published_at, u.key))

    created_at = clock.ts(raw.created_at, f"{where}.created_at", assume_utc=True)
    updated_at = clock.opt_ts(raw.updated_at, f"{where}.updated_at", assume_utc=True)
    if updated_at is None:
        updated_at = max([created_at, *(u.edited_at or u.published_at for u in updates)])
    resolved_at = clock.opt_ts(raw.resolved_at, f"{where}.resolved_at", assume_utc=True)
    if resolved_at is None and state in CLOSED_STATES and updates:
        resolved_at = updates[-1].published_at
    scheduled_for = _future(raw.scheduled_for, f"{where}.scheduled_for", clock)
    scheduled_until = _future(raw.scheduled_until, f"{where}.scheduled_until", clock)
    return FeedIncident(
        key=key,
        title=title,
        state=state,
        impact=impact,
        kind=kind,
        created_at=created_at,
        updated_at=updated_at,
        resolved_at=resolved_at,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        url=url,
        updates=tuple(updates),
    )


def _future(value: str | None, where: str, clock: Clock) -> datetime | None:
    if value is None:
        return None
    return clock.check_future(parse_timestamp(value, where, assume_utc=True), where)
