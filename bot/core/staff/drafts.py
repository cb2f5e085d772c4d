"""Drafts of hand-written status updates, kept between the preview and the confirmation.

A draft lives in the database, not in memory, so the "Post it" button still works after a restart. Its id
is also the posted update's identity, so pressing the button twice cannot post it twice. Besides the text
it carries what a feed update carries: progress per data type, the next promised update, and which
incident it continues (so it merges with the feed's state instead of replacing it).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.db import Database
from bot.core.models import KeyValue

PREFIX = "draft:"


@dataclass(frozen=True, slots=True)
class StatusDraft:
    title: str
    state: str
    body: str
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)  # data type -> {state, percent}
    next_update_by: str | None = None  # ISO 8601, UTC
    incident_key: str | None = None  # the incident this update continues; None: a new one


class StatusDrafts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(
        self,
        title: str,
        state: str,
        body: str,
        *,
        progress: dict[str, dict[str, Any]] | None = None,
        next_update_by: str | None = None,
        incident_key: str | None = None,
    ) -> str:
        """Store a draft; returns its id (16 hex digits, as the confirm button carries it)."""
        draft_id = uuid.uuid4().hex[:16]
        draft = StatusDraft(
            title=title.strip(),
            state=state,
            body=body.strip(),
            progress=progress or {},
            next_update_by=next_update_by,
            incident_key=incident_key,
        )
        async with self.db.transaction() as session:
            session.add(KeyValue(key=PREFIX + draft_id, value=json.dumps(asdict(draft))))
        return draft_id

    async def get(self, draft_id: str) -> StatusDraft | None:
        async with self.db.sessions() as session:
            row = await session.get(KeyValue, PREFIX + draft_id)
        if row is None:
            return None
        stored = json.loads(row.value)  # drafts saved before progress and promises existed lack them
        return StatusDraft(**{k: v for k, v in stored.items() if k in StatusDraft.__dataclass_fields__})
