"""Atlassian Statuspage API v2 documents: summary, status, incidents, unresolved, maintenances.

Quirks handled: local UTC offsets (compared as instants), updates edited in place (deduped by id,
newest `updated_at` wins, edit shown by `edited_at` and `content_hash`), `\\r\\n` and stray HTML in
bodies, empty lists as the healthy state. Deliberately ignored: components and the unreliable
`affected_components`; impact is never derived from the page indicator nor the reverse; the
status is kept as given even when the prose runs ahead of it.

Keys come from `bot.core.feeds.identity` (`incident:<id>`, the same as the RSS/Atom feeds of the
same page give). One unreadable incident or update (absurd timestamp, missing field) is skipped and
listed in `FeedSnapshot.skipped`; the rest of the document goes on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.feeds.identity import closing_update, incident_key, keyed
from bot.core.feeds.models import (
    CLOSED_STATES,
    FeedError,
    FeedIncident,
    FeedSnapshot,
    FeedUpdate,
    Impact,
    IncidentKind,
    PageStatus,
    SkippedItem,
    all_skipped,
    norm_impact,
    norm_state,
    validation_message,
)
from bot.core.feeds.prose import next_update_from_text, progress_from_text
from bot.core.feeds.text import make_update, plain_to_text
from bot.core.feeds.time import Clock, parse_timestamp

_DOCUMENT_KEYS = ("incidents", "scheduled_maintenances", "status", "components", "incident")
log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=BaseModel)


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
    incident_updates: list[Any] | None = None


class _Page(_Lenient):
    id: str
    name: str | None = None
    url: str | None = None


class _Status(_Lenient):
    indicator: str | None = None
    description: str | None = None


class _Document(_Lenient):
    page: _Page
    incidents: list[Any] | None = None
    scheduled_maintenances: list[Any] | None = None
    incident: dict[str, Any] | None = None
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
    skipped: list[SkippedItem] = []
    sources: list[tuple[str, list[Any], IncidentKind]] = [
        ("incidents", doc.incidents or [], "incident"),
        ("scheduled_maintenances", doc.scheduled_maintenances or [], "maintenance"),
        ("incident", [doc.incident] if doc.incident else [], "incident"),
    ]
    for field, items, kind in sources:
        for index, item in enumerate(items):
            where = f"{field}[{index}]"
            try:
                raw = _validated(_Incident, item, where)
                incident = _incident(raw, kind, where, clock, skipped)
            except FeedError as exc:
                ident = item.get("id") if isinstance(item, dict) else None
                _skip(skipped, f"{where}" + (f" (id {str(ident)[:40]})" if ident else ""), exc)
                continue
            previous = found.get(incident.key)
            if previous is None or incident.updated_at >= previous.updated_at:
                found[incident.key] = incident
    if skipped and not found and any(items for _, items, _ in sources):
        raise all_skipped(skipped)
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
        skipped=tuple(skipped),
    )


def _validated(model: type[_M], item: object, where: str) -> _M:
    try:
        return model.model_validate(item)
    except ValidationError as err:
        raise FeedError(validation_message(f"Statuspage {where} has the wrong shape", err), "schema") from None


def _skip(skipped: list[SkippedItem], where: str, exc: FeedError) -> None:
    log.warning("status feed: skipping Statuspage %s: %s", where, exc)
    skipped.append(SkippedItem(where=where, reason=exc.reason, message=str(exc)))


def _incident(raw: _Incident, kind: IncidentKind, where: str, clock: Clock, skipped: list[SkippedItem]) -> FeedIncident:
    key = incident_key(raw.id)
    title = plain_to_text(raw.name) or "(untitled incident)"
    impact = norm_impact(raw.impact)
    state = norm_state(raw.status)
    url = raw.shortlink or None
    created_at = clock.ts(raw.created_at, f"{where}.created_at", assume_utc=True)

    # newest `updated_at` wins for an update id listed twice; the source lists the newest first
    latest: dict[str, tuple[datetime, int, _Update]] = {}
    items = raw.incident_updates or []
    for index, item in enumerate(items):
        uwhere = f"{where}.incident_updates[{index}]"
        try:
            update = _validated(_Update, item, uwhere)
            changed = clock.opt_ts(update.updated_at, f"{uwhere}.updated_at", assume_utc=True)
            created = clock.ts(update.created_at, f"{uwhere}.created_at", assume_utc=True)
        except FeedError as exc:
            _skip(skipped, uwhere, exc)
            continue
        stamp = changed or created
        if update.id not in latest or stamp >= latest[update.id][0]:
            latest[update.id] = (stamp, len(items) - index, update)

    built: list[tuple[int, FeedUpdate]] = []
    for update_id, (_, position, update) in latest.items():
        uwhere = f"{where}.incident_updates[id={update_id}]"
        try:
            built.append((position, _update(update, uwhere, key, title, impact, url, clock)))
        except FeedError as exc:
            _skip(skipped, uwhere, exc)
    updates = keyed(key, [u for _, u in sorted(built, key=lambda pair: pair[0])])

    updated_at = clock.opt_ts(raw.updated_at, f"{where}.updated_at", assume_utc=True)
    if updated_at is None:
        updated_at = max([created_at, *(u.edited_at or u.published_at for u in updates)])
    resolved_at = clock.opt_ts(raw.resolved_at, f"{where}.resolved_at", assume_utc=True)
    if resolved_at is None and state in CLOSED_STATES:
        closing = closing_update(updates)
        resolved_at = closing.published_at if closing is not None else None
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


def _update(
    update: _Update, where: str, key: str, title: str, impact: Impact, url: str | None, clock: Clock
) -> FeedUpdate:
    created = clock.ts(update.created_at, f"{where}.created_at", assume_utc=True)
    shown = clock.opt_ts(update.display_at, f"{where}.display_at", assume_utc=True) or created
    changed = clock.opt_ts(update.updated_at, f"{where}.updated_at", assume_utc=True)
    edited = changed if changed is not None and (changed - created).total_seconds() > 1 else None
    body = plain_to_text(update.body or "")
    promised = next_update_from_text(body, shown)
    return make_update(
        key=key,
        incident_key=key,
        incident_title=title,
        state=norm_state(update.status),
        body=body,
        published_at=shown,
        edited_at=edited,
        progress=progress_from_text(body),
        next_update_by=clock.check_future(promised, f"{where} promised update") if promised else None,
        impact=impact,
        url=url,
    )


def _future(value: str | None, where: str, clock: Clock) -> datetime | None:
    if value is None:
        return None
    return clock.check_future(parse_timestamp(value, where, assume_utc=True), where)
