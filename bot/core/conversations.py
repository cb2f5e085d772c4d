"""Conversations, answers given, the answer cache and LLM spending, in the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import AnswerCache, AnswerRecord, Conversation, LlmUsage, Turn, utcnow

if TYPE_CHECKING:
    from bot.core.answering import Answer

log = logging.getLogger(__name__)


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def open(self, customer_id: int, channel_id: int, kind: str) -> int:
        """The conversation of this customer in this place, created on first use."""
        for _ in range(2):
            async with self.db.sessions() as session:
                found = await session.scalar(
                    select(col(Conversation.id)).where(
                        col(Conversation.channel_id) == channel_id, col(Conversation.customer_id) == customer_id
                    )
                )
                if found is not None:
                    return int(found)
                conv = Conversation(customer_id=customer_id, channel_id=channel_id, kind=kind)
                session.add(conv)
                try:
                    await session.commit()
                except IntegrityError:  # created concurrently: read it again
                    await session.rollback()
                    continue
                assert conv.id is not None
                return conv.id
        raise RuntimeError("conversation could not be opened")

    async def history(self, conversation_id: int, turns: int, max_chars: int) -> list[tuple[str, str]]:
        """The latest turns, oldest first, within a character budget."""
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(col(Turn.role), col(Turn.content))
                    .where(col(Turn.conversation_id) == conversation_id)
                    .order_by(col(Turn.id).desc())
                    .limit(turns)
                )
            ).all()
        out: list[tuple[str, str]] = []
        used = 0
        for role, content in rows:
            if used + len(content) > max_chars:
                break
            used += len(content)
            out.append((role, content))
        return out[::-1]

    async def record(
        self, *, customer_id: int, conversation_id: int | None, question: str, answer: Answer, faq_version: str
    ) -> int:
        async with self.db.transaction() as session:
            rec = AnswerRecord(
                customer_id=customer_id,
                conversation_id=conversation_id,
                question=question,
                answer=answer.text,
                source=answer.source,
                answered=answer.answered,
                escalated=answer.escalate is not None,
                faq_keys=",".join(answer.faq_keys),
                faq_version=faq_version,
            )
            session.add(rec)
            if conversation_id is not None:
                now = utcnow()
                session.add(Turn(conversation_id=conversation_id, role="customer", content=question, created_at=now))
                session.add(Turn(conversation_id=conversation_id, role="bot", content=answer.text, created_at=now))
                await session.execute(
                    update(Conversation).where(col(Conversation.id) == conversation_id).values(updated_at=now)
                )
            await session.flush()
            assert rec.id is not None
            return rec.id

    async def feedback(self, answer_id: int, customer_id: int, value: str) -> bool:
        """Record Helpful / Not helpful; only the customer who asked may rate an answer."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(AnswerRecord)
                .where(col(AnswerRecord.id) == answer_id, col(AnswerRecord.customer_id) == customer_id)
                .values(feedback=value)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def answer_record(self, answer_id: int) -> AnswerRecord | None:
        async with self.db.sessions() as session:
            return await session.get(AnswerRecord, answer_id)

    async def recent_turns_for(self, customer_id: int, limit: int = 6) -> list[tuple[str, str]]:
        """The customer's latest questions and answers across conversations (for hand-over summaries)."""
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(col(AnswerRecord.question), col(AnswerRecord.answer))
                    .where(col(AnswerRecord.customer_id) == customer_id)
                    .order_by(col(AnswerRecord.id).desc())
                    .limit(limit)
                )
            ).all()
        return [(q, a) for q, a in rows][::-1]

    # -- cache ------------------------------------------------------------------------------

    async def cached(self, keys: list[str]) -> AnswerCache | None:
        async with self.db.transaction() as session:
            for key in keys:
                row = await session.get(AnswerCache, key)
                if row is not None:
                    row.hits += 1
                    return row
        return None

    async def store_cache(
        self, keys: list[str], text: str, faq_keys: tuple[str, ...], faq_version: str, customer_id: int
    ) -> None:
        for key in keys:
            try:
                async with self.db.transaction() as session:
                    session.add(
                        AnswerCache(
                            cache_key=key, answer=text, faq_keys=",".join(faq_keys), faq_version=faq_version,
                            customer_id=customer_id,
                        )
                    )
            except IntegrityError:
                pass  # another answer for the same key won the race: either is fine

    async def invalidate_cache(self, faq_keys: set[str] | None = None) -> int:
        """Forget cached answers (all, or those built on any of these FAQ entries)."""
        async with self.db.transaction() as session:
            if faq_keys is None:
                result = await session.execute(delete(AnswerCache))
            else:
                rows = (await session.execute(select(col(AnswerCache.cache_key), col(AnswerCache.faq_keys)))).all()
                stale = [k for k, fk in rows if set(fk.split(",")) & faq_keys]
                if not stale:
                    return 0
                result = await session.execute(delete(AnswerCache).where(col(AnswerCache.cache_key).in_(stale)))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- LLM budget -----------------------------------------------------------------------------

    @staticmethod
    def _today() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%d")

    async def budget_left(self, budget: int) -> bool:
        if budget <= 0:
            return False
        async with self.db.sessions() as session:
            used = await session.scalar(select(col(LlmUsage.tokens)).where(col(LlmUsage.day) == self._today()))
        return (used or 0) < budget

    async def spend(self, tokens: int) -> None:
        day = self._today()
        for _ in range(2):
            try:
                async with self.db.transaction() as session:
                    result = await session.execute(
                        update(LlmUsage)
                        .where(col(LlmUsage.day) == day)
                        .values(tokens=col(LlmUsage.tokens) + tokens, calls=col(LlmUsage.calls) + 1)
                    )
                    if not result.rowcount:  # type: ignore[attr-defined]
                        session.add(LlmUsage(day=day, tokens=tokens, calls=1))
                return
            except IntegrityError:
                continue
