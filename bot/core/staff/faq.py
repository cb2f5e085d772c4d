"""Staff FAQ edits: kept in the database and applied on top of the operators' FAQ files."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.core.conversations import ConversationStore
from bot.core.db import Database
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.models import FaqEdit, utcnow

log = logging.getLogger(__name__)


class FaqStore:
    """Staff FAQ edits kept in the database and applied on top of the files."""

    def __init__(self, db: Database, knowledge: KnowledgeBase, conversations: ConversationStore) -> None:
        self.db = db
        self.knowledge = knowledge
        self.conversations = conversations

    async def load(self) -> int:
        """Apply stored edits to the knowledge base (at start); returns how many there were."""
        async with self.db.sessions() as session:
            edits = list(await session.scalars(select(FaqEdit)))
        for e in edits:
            try:
                if e.removed:
                    if self.knowledge.get(e.key):
                        self.knowledge.remove(e.key)
                elif self.knowledge.get(e.key):
                    self.knowledge.replace(e.key, question=e.question, answer=e.answer, keywords=_kw(e.keywords))
                else:
                    self.knowledge.add(e.question, e.answer, _kw(e.keywords))
            except ValueError as exc:
                log.warning("stored FAQ edit %s no longer applies: %s", e.key, exc)
        return len(edits)

    async def _save(self, entry: FaqEntry | None, key: str, staff_id: int, *, removed: bool = False) -> None:
        async with self.db.transaction() as session:
            row = await session.get(FaqEdit, key) or FaqEdit(key=key)
            row.question = entry.question if entry else ""
            row.answer = entry.answer if entry else ""
            row.keywords = ",".join(entry.keywords) if entry else ""
            row.removed = removed
            row.updated_by = staff_id
            row.updated_at = utcnow()
            session.add(row)
        # answers built on the old text must not be served again
        await self.conversations.invalidate_cache({key})

    async def add(self, staff_id: int, question: str, answer: str, keywords: list[str]) -> FaqEntry:
        entry = self.knowledge.add(question, answer, keywords)
        await self._save(entry, entry.key, staff_id)
        return entry

    async def edit(
        self, staff_id: int, key: str, *, question: str | None, answer: str | None, keywords: list[str] | None
    ) -> FaqEntry:
        entry = self.knowledge.replace(key, question=question, answer=answer, keywords=keywords)
        await self._save(entry, key, staff_id)
        return entry

    async def remove(self, staff_id: int, key: str) -> FaqEntry:
        old = self.knowledge.remove(key)
        await self._save(None, key, staff_id, removed=True)
        return old

    async def reload(self) -> int:
        """Re-read the files (staff edits stay on top); every cached answer is dropped."""
        self.knowledge.reload()
        await self.conversations.invalidate_cache(None)
        return len(self.knowledge)


def _kw(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]
