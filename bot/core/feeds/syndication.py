"""RSS and Atom feeds, via feedparser: one incident per entry.

Statuspage history feeds put every update of an incident in one entry, newest first, as
`<p><small>Jul <var>7</var>, <var>22:34</var> UTC</small><br><strong>Resolved</strong> - text</p>`.
Those are split into updates; the year, absent from the stamps, is the one that puts the stamp
closest to the entry's `<published>` (so a `Dec 31` stamp on an entry published on Jan 1 belongs
to the previous year). An `Update` label keeps the state of the update before it.

Update keys are `<fmt>:<entry id>:<stamp>:<label>` (+ `:<n>` for the n-th identical stamp and
label, counted from the oldest), so they survive a rewrite of the text; the content hash does not.
Any other entry is a single update keyed `<fmt>:<entry id>`.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from bot.core.feeds.models import (
    CLOSED_STATES,
    MAINTENANCE_STATES,
    FeedError,
    FeedFormat,
    FeedIncident,
    FeedSnapshot,
    FeedUpdate,
    UpdateState,
    norm_state,
)
from bot.core.feeds.prose import next_update_from_text, progress_from_text
from bot.core.feeds.text import clean_text, html_to_text, make_update
from bot.core.feeds.time import Clock, tz_offset

_STAMPED = re.compile(
    r"(?:<p>\s*)?<small>(?P<stamp>.*?)</small>\s*(?:<br\s*/?>\s*)*<strong>(?P<label>[^<]{1,40})</strong>\s*[-–—:]?\s*",
    re.IGNORECASE | re.DOTALL,
)
_STAMP_TEXT = re.compile(
    r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(?P<year>\d{4}),?\s+)?"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?:\s*[-–]\s*[\d:]+)?\s*(?P<tz>[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)?$"
)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_LEADING_LABEL = re.compile(r"^\s*\[?(?P<label>[A-Za-z][A-Za-z _-]{2,20})\]?\s*[:\-–]\s")
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass(frozen=True)
class _Piece:
    at: datetime
    label: str
    state: UpdateState | None
    body: str


def parse_syndication(body: bytes, clock: Clock) -> FeedSnapshot:
    try:
        parsed: Any = feedparser.parse(io.BytesIO(body), sanitize_html=True, resolve_relative_uris=False)
    except Exception as exc:  # feedparser is lenient, but a parser must only ever raise FeedError
        raise FeedError(f"could not read the RSS/Atom feed: {type(exc).__name__}: {exc}", "malformed") from None
    version = parsed.get("version") or ""
    error = parsed.get("bozo_exception")
    if error is not None and not _tolerable(error):
        raise FeedError(f"feed XML is malformed or truncated: {error}", "malformed")
    if not version:
        raise FeedError("XML document is neither RSS nor Atom", "not_a_feed")
    fmt: FeedFormat = "atom" if version.startswith("atom") else "rss"
    feed = parsed.get("feed", {})
    feed_time = _struct(_raw(feed, "updated_parsed") or _raw(feed, "published_parsed"))

    found: dict[str, FeedIncident] = {}
    for index, entry in enumerate(parsed.get("entries", [])):
        incident = _incident(entry, fmt, index, feed_time, clock)
        previous = found.get(incident.key)
        if previous is None or incident.updated_at >= previous.updated_at:
            found[incident.key] = incident
    return FeedSnapshot(
        format=fmt,
        incidents=tuple(sorted(found.values(), key=lambda i: (i.created_at, i.key))),
        source_title=clean_text(feed.get("title", "")) or None,
        source_url=feed.get("link") or None,
        fetched_at=clock.now,
    )


def _tolerable(error: object) -> bool:
    """Encoding notes and HTML entities undefined in XML are harmless; broken structure is not
    (a truncated feed would otherwise yield cut-off bodies that look like edits)."""
    if isinstance(error, _BENIGN_BOZO):
        return True
    return isinstance(error, xml.sax.SAXParseException) and "undefined entity" in str(error)


def _raw(item: Any, key: str) -> Any:
    """The stored value only: FeedParserDict.get maps missing `updated*` to `published*` (deprecated)."""
    return dict.get(item, key) if isinstance(item, dict) else None


def _struct(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise FeedError(f"feed date out of range: {tuple(value)[:6]}", "timestamp") from None


def _incident(entry: Any, fmt: FeedFormat, index: int, feed_time: datetime | None, clock: Clock) -> FeedIncident:
    where = f"{fmt} entry {index}"
    title = clean_text(entry.get("title", "")) or "(untitled)"
    published = _struct(_raw(entry, "published_parsed"))
    updated = _struct(_raw(entry, "updated_parsed"))
    anchor = clock.check(published or updated or feed_time or clock.now, f"{where} date")
    if updated is not None:
        clock.check(updated, f"{where} updated")
    entry_id = entry.get("id") or entry.get("link") or _digest(title, anchor.isoformat())
    key = f"{fmt}:{entry_id}"
    url = entry.get("link") or None
    contents = entry.get("content") or []
    markup = contents[0].get("value", "") if contents else entry.get("summary", "")

    pieces = _split_stamped(markup, anchor, clock, where)
    updates: list[FeedUpdate]
    if pieces:
        updates = _stamped_updates(pieces, key, title, url, clock)
    else:
        body = html_to_text(markup)
        state = _guess_state(title, body)
        edited = updated if updated is not None and published is not None and updated > published else None
        updates = [_build(key, key, title, state, body, anchor, edited, url, clock)]
    state = updates[-1].state
    kind = "maintenance" if any(u.state in MAINTENANCE_STATES for u in updates) else "incident"
    created_at = min(updates[0].published_at, anchor)
    return FeedIncident(
        key=key,
        title=title,
        state=state,
        impact="maintenance" if kind == "maintenance" else "unknown",
        kind=kind,
        created_at=created_at,
        updated_at=max(updated or anchor, updates[-1].published_at),
        resolved_at=updates[-1].published_at if state in CLOSED_STATES else None,
        url=url,
        updates=tuple(u.model_copy(update={"impact": "maintenance"}) for u in updates)
        if kind == "maintenance"
        else tuple(updates),
    )


def _split_stamped(markup: str, anchor: datetime, clock: Clock, where: str) -> list[_Piece]:
    """Stamped paragraphs, oldest first; empty when the entry has no such structure."""
    matches: list[tuple[re.Match[str], datetime]] = []
    for match in _STAMPED.finditer(markup):
        at = _stamp_time(html_to_text(match["stamp"]), anchor)
        if at is not None:
            matches.append((match, at))
    pieces: list[_Piece] = []
    for i, (match, at) in enumerate(matches):
        end = matches[i + 1][0].start() if i + 1 < len(matches) else len(markup)
        label = " ".join(html_to_text(match["label"]).split())
        stamp = clock.check(at, f"{where} update stamp")
        state = None if label.lower() == "update" else norm_state(label)
        pieces.append(_Piece(stamp, label, state, html_to_text(markup[match.end() : end])))
    pieces.reverse()
    pieces.sort(key=lambda p: p.at)  # stable: equal stamps keep their oldest-first order
    return pieces


def _stamp_time(text: str, anchor: datetime) -> datetime | None:
    match = _STAMP_TEXT.match(" ".join(text.split()))
    month = _MONTHS.get(match["mon"][:3].lower()) if match else None
    if match is None or month is None:
        return None
    offset = tz_offset(match["tz"] or "UTC") or timedelta(0)
    day, hour, minute = int(match["day"]), int(match["h"]), int(match["m"])
    years = [int(match["year"])] if match["year"] else [anchor.year - 1, anchor.year, anchor.year + 1]
    candidates = []
    for year in years:
        try:
            candidates.append(datetime(year, month, day, hour, minute, tzinfo=UTC) - offset)
        except ValueError:  # Feb 29 in a common year, hour 24...
            continue
    return min(candidates, key=lambda c: abs(c - anchor)) if candidates else None


def _stamped_updates(pieces: list[_Piece], key: str, title: str, url: str | None, clock: Clock) -> list[FeedUpdate]:
    updates: list[FeedUpdate] = []
    seen: dict[str, int] = {}
    state: UpdateState = "unknown"
    for piece in pieces:
        state = piece.state or state
        slug = re.sub(r"[^a-z0-9]+", "_", piece.label.lower()).strip("_") or "update"
        base = f"{key}:{piece.at:%Y-%m-%dT%H:%MZ}:{slug}"
        seen[base] = seen.get(base, 0) + 1
        update_key = base if seen[base] == 1 else f"{base}:{seen[base]}"
        updates.append(_build(update_key, key, title, state, piece.body, piece.at, None, url, clock))
    return updates


def _build(
    key: str,
    incident_key: str,
    title: str,
    state: UpdateState,
    body: str,
    at: datetime,
    edited: datetime | None,
    url: str | None,
    clock: Clock,
) -> FeedUpdate:
    promised = next_update_from_text(body, at)
    return make_update(
        key=key,
        incident_key=incident_key,
        incident_title=title,
        state=state,
        body=body,
        published_at=at,
        edited_at=edited,
        progress=progress_from_text(body),
        next_update_by=clock.check_future(promised, f"{key} promised update") if promised else None,
        url=url,
    )


def _guess_state(title: str, body: str) -> UpdateState:
    """A plain item may lead with its status: `Resolved - ...`, `[Monitoring] ...`."""
    for text in (body, title):
        match = _LEADING_LABEL.match(text)
        if match:
            state = norm_state(match["label"])
            if state != "unknown":
                return state
    return "unknown"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
