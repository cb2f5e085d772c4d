"""Who an incident and an update are, whatever format or URL they arrived through.

The same Statuspage incident reaches us as JSON (`id`), as RSS (`<link>.../incidents/<id>`) or as
Atom (`<link href=".../incidents/<id>">`, with an unrelated `tag:` entry id). Keys therefore come
from the source's incident id when there is one, otherwise from the entry id, and never embed the
format or the feed URL:

- incident: `incident:<source id>` or `entry:<entry id>`;
- update: `<incident key>/<UTC minute>/<state>`, plus `#<n>` for the n-th update of the same
  incident, minute and state (counted from the oldest). Minutes, because the feeds print minutes
  where the JSON has seconds; the text is left out so an edit in place keeps its key (the content
  hash tells the edit) and only the order of otherwise identical updates tells them apart.

Updates are ordered by minute, then by how far the state has progressed (an update and its
"Resolved" in the same minute end on Resolved), then by their exact time and position in the source.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bot.core.feeds.models import FeedUpdate

KEY_SCHEME = "2"
"""Stored with the feed state; a database keyed by another scheme is treated as a first run."""

_INCIDENT_PATH = re.compile(r"/(?:incidents?|maintenances?)/([A-Za-z0-9][A-Za-z0-9_-]{3,63})/?(?:[?#]|$)")
_MAX_ID = 120

STATE_RANK: dict[str, int] = {
    "unknown": 0,
    "investigating": 1,
    "identified": 2,
    "monitoring": 3,
    "recovering": 3,
    "resolved": 5,
    "postmortem": 6,
    "scheduled": 1,
    "in_progress": 2,
    "verifying": 3,
    "completed": 5,
}


def source_incident_id(*candidates: str | None) -> str | None:
    """The `<id>` of the first `.../incidents/<id>` (or `/maintenances/<id>`) URL among the candidates."""
    for value in candidates:
        if value:
            match = _INCIDENT_PATH.search(value.strip())
            if match:
                return match[1]
    return None


def incident_key(source_id: str | None, entry_id: str | None = None) -> str:
    if source_id:
        return f"incident:{_short(source_id)}"
    return f"entry:{_short(entry_id or '')}"


def _short(value: str) -> str:
    value = value.strip()
    if len(value) <= _MAX_ID:
        return value
    return value[:80] + "~" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def order_key(update: FeedUpdate, position: int) -> tuple[object, ...]:
    minute = update.published_at.replace(second=0, microsecond=0)
    return (minute, STATE_RANK.get(update.state, 0), update.published_at, position)


def keyed(incident: str, updates: Sequence[FeedUpdate]) -> list[FeedUpdate]:
    """`updates` (oldest first as the source lists them) in identity order, with their final keys."""
    ordered = [u for _, u in sorted(enumerate(updates), key=lambda pair: order_key(pair[1], pair[0]))]
    seen: dict[str, int] = {}
    out = []
    for update in ordered:
        base = f"{incident}/{update.published_at:%Y-%m-%dT%H:%MZ}/{update.state}"
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        out.append(update.model_copy(update={"key": key, "incident_key": incident}))
    return out


def closing_update(updates: Sequence[FeedUpdate]) -> FeedUpdate | None:
    """The update that closed the incident: the last Resolved/Completed, not a later postmortem."""
    closing = [u for u in updates if u.state in ("resolved", "completed")]
    if closing:
        return closing[-1]
    postmortems = [u for u in updates if u.state == "postmortem"]
    return postmortems[0] if postmortems else None
