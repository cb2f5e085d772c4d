"""Drafts of hand-written status updates, kept between the preview and the confirmation.

A draft lives in the database, not in memory, so the "Post it" button still works after a restart. Its id
is also the posted update's identity, so pressing the button twice cannot post it twice.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass

from bot.core.db import Database
from bot.core.models import KeyValue

PREFIX = "draft:"


@dataclass(frozen=True, slots=True)
class StatusDraft:
    title: str
    state: str
    body: str


class StatusDrafts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, title: str, state: str, body: str) -> str:
        """Store a draft; returns its id (16 hex digits, as the confirm button carries it)."""
        draft_id = uuid.uuid4().hex[:16]
        draft = StatusDraft(title=title.strip(), state=state, body=body.strip())
        async with self.db.transaction() as session:
            session.add(KeyValue(key=PREFIX + draft_id, value=json.dumps(asdict(draft))))
        return draft_id

    async def get(self, draft_id: str) -> StatusDraft | None:
        async with self.db.sessions() as session:
            row = await session.get(KeyValue, PREFIX + draft_id)
        if row is None:
            return None
        return StatusDraft(**json.loads(row.value))
