"""Conversations, answers given, the answer cache and LLM spending, in the database."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import AnswerCache, AnswerRecord, Conversation, LlmUsage, Turn, utcnow
from bot.core.outage import is_unavailable

if TYPE_CHECKING:
    from bot.core.answering import Answer

log = logging.getLogger(__name__)


WRITE_HOLD_SECONDS = 600.0  # answer records wait this long for an unreachable database, then are dropped
CLOSE_WAIT_SECONDS = 5.0
_EPOCH_MS = 1_767_225_600_000  # 2026-01-01
_counter = itertools.count(secrets.randbelow(1 << 12))
_instance = secrets.randbelow(1 << 8)


def next_id() -> int:
    """A unique, time-ordered 63-bit id made here, so an answer's id is known before it is stored."""
    ms = int(time.time() * 1000) - _EPOCH_MS
    return (ms << 20) | (_instance << 12) | (next(_counter) & 0xFFF)


_ANSWERS = AnswerRecord.__table__  # type: ignore[attr-defined]
_TURNS = Turn.__table__  # type: ignore[attr-defined]
_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]


class ConversationStore:
    def __init__(self, db: Database, *, remember: int = 50_000) -> None:
        self.db = db
        self._known: dict[tuple[int, int], int] = {}  # (customer, channel) -> conversation id
        self._remember = remember
        self._conversations: list[dict[str, object]] = []
        self._answers: list[dict[str, object]] = []
        self._turns: list[dict[str, object]] = []
        self._writer: asyncio.Task[None] | None = None
        self._holding = False  # the writer is waiting out a database outage
        self._unspent = 0  # LLM tokens not yet counted (the database was away)
        self._unwritten = 0

    def forget(self, customer_id: int) -> None:
        for key in [k for k in self._known if k[0] == customer_id]:
            del self._known[key]

    async def open(self, customer_id: int, channel_id: int, kind: str) -> int:
        """The conversation of this customer in this place; a new one gets its id here, written behind.

        No database round trip on the answer path: if the conversation already exists in the database
        (after a restart, or opened by another instance), the write finds it and adopts its id; only that
        first question goes without history.
        """
        known = self._known.get((customer_id, channel_id))
        if known is not None:
            return known
        if len(self._known) >= self._remember:
            self._known.clear()
        conv_id = next_id()
        self._known[(customer_id, channel_id)] = conv_id
        now = utcnow()
        self._conversations.append(
            {"id": conv_id, "customer_id": customer_id, "channel_id": channel_id, "kind": kind,
             "created_at": now, "updated_at": now}
        )
        return conv_id

    async def history(self, conversation_id: int, turns: int, max_chars: int) -> list[tuple[str, str]]:
        """The latest turns, oldest first, within a character budget."""
        await self.flush()
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
        """Log an answer and its turns; returns the answer's id at once and writes behind, in batches.

        The customer gets the answer without waiting for a commit; the rows of many answers are
        written together (two bulk statements per batch). `flush()` waits for what is queued.
        """
        now = utcnow()
        answer_id = next_id()
        self._answers.append(
            {
                "id": answer_id,
                "customer_id": customer_id,
                "conversation_id": conversation_id,
                "question": question,
                "answer": answer.text,
                "source": answer.source,
                "intent": answer.intent[:16] or None,
                "answered": answer.answered,
                "escalated": answer.escalate is not None,
                "faq_keys": ",".join(answer.faq_keys),
                "faq_version": faq_version,
                "feedback": None,
                "created_at": now,
            }
        )
        if conversation_id is not None:
            self._turns.extend(
                {"conversation_id": conversation_id, "role": role, "content": text, "created_at": now}
                for role, text in (("customer", question), ("bot", answer.text))
            )
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_behind(), name="answer-log")
        return answer_id

    async def flush(self) -> None:
        """Wait until what is queued is written; at once while the writer waits out a database outage (what
        is queued is written when the database answers again)."""
        while self._writer is not None and not self._writer.done() and not self._holding:
            await asyncio.wait({self._writer}, timeout=0.2)

    async def close(self) -> None:
        """Write what is queued; if the database is away, give up on it after a few seconds, saying so."""
        if self._writer is None or self._writer.done():
            return
        _, late = await asyncio.wait({self._writer}, timeout=CLOSE_WAIT_SECONDS)
        if late:
            self._writer.cancel()
            await asyncio.wait({self._writer})
            log.warning("stopped with %d answer records not written (database unreachable)", self._unwritten)

    async def _write_behind(self) -> None:
        while self._conversations or self._answers or self._turns:
            convs, self._conversations = self._conversations, []
            answers, self._answers = self._answers, []
            turns, self._turns = self._turns, []
            self._unwritten = len(answers) + len(self._answers)
            failures = 0
            while True:
                try:
                    async with self.db.begin() as conn:
                        if convs:
                            await conn.execute(insert(_CONVERSATIONS), convs)
                        if answers:
                            await conn.execute(insert(_ANSWERS), answers)
                        if turns:
                            await conn.execute(insert(_TURNS), turns)
                    break
                except IntegrityError:
                    # another instance opened one of these conversations first: use its row instead
                    failures += 1
                    if failures >= 5:
                        log.error("dropped %d answer records after 5 conflicting writes", len(answers))
                        break
                    try:
                        convs = await self._adopt_existing(convs, answers, turns)
                    except Exception as exc:
                        if not await self._wait_out(exc):
                            break
                except Exception as exc:
                    if is_unavailable(exc):
                        if not await self._wait_out(exc):
                            break
                        continue
                    failures += 1
                    log.warning("answer log write failed (%s), attempt %d", type(exc).__name__, failures)
                    if failures >= 5:
                        log.error("dropped %d answer records after 5 failed writes", len(answers))
                        break
                    await asyncio.sleep(0.1 * failures)
        self._unwritten = 0

    async def _wait_out(self, exc: Exception) -> bool:
        """The database is away: keep the records and wait for it. False: it stayed away too long (dropped)."""
        if not is_unavailable(exc):
            log.error("answer log write failed (%s); dropping the batch", type(exc).__name__)
            return False
        self.db.outage.failed("writing the answer log", exc)
        self._holding = True
        try:
            await asyncio.sleep(0.1)  # never a busy loop, whatever the probe says
            back = await self.db.outage.wait(WRITE_HOLD_SECONDS)
        finally:
            self._holding = False
        if not back:
            log.error(
                "dropped %d answer records: the database was unreachable for %.0f s", self._unwritten,
                WRITE_HOLD_SECONDS,
            )
        return back

    async def _adopt_existing(
        self, convs: list[dict[str, object]], answers: list[dict[str, object]], turns: list[dict[str, object]]
    ) -> list[dict[str, object]]:
        remap: dict[object, int] = {}
        keep = []
        async with self.db.sessions() as session:
            for c in convs:
                found = await session.scalar(
                    select(col(Conversation.id)).where(
                        col(Conversation.channel_id) == c["channel_id"],
                        col(Conversation.customer_id) == c["customer_id"],
                    )
                )
                if found is None:
                    keep.append(c)
                else:
                    remap[c["id"]] = int(found)
                    self._known[(int(c["customer_id"]), int(c["channel_id"]))] = int(found)  # type: ignore[call-overload]
        for row in (*answers, *turns):
            if row.get("conversation_id") in remap:
                row["conversation_id"] = remap[row["conversation_id"]]
        return keep

    async def feedback(self, answer_id: int, customer_id: int, value: str) -> bool:
        """Record Helpful / Not helpful; only the customer who asked may rate an answer."""
        await self.flush()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(AnswerRecord)
                .where(col(AnswerRecord.id) == answer_id, col(AnswerRecord.customer_id) == customer_id)
                .values(feedback=value)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def answer_record(self, answer_id: int) -> AnswerRecord | None:
        await self.flush()
        async with self.db.sessions() as session:
            return await session.get(AnswerRecord, answer_id)

    async def recent_turns_for(self, customer_id: int, limit: int = 6) -> list[tuple[str, str]]:
        """The customer's latest questions and answers across conversations (for hand-over summaries)."""
        await self.flush()
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
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                self.db.outage.failed("caching an answer", exc)  # only an optimisation: the answer still goes
                return

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
        """Count tokens against today's budget. While the database is away they are kept, and counted with the
        next call that reaches it: the answer they paid for is not thrown away for the sake of the count."""
        tokens, self._unspent = tokens + self._unspent, 0
        try:
            await self._spend(tokens)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            self._unspent += tokens
            self.db.outage.failed("counting LLM tokens", exc)

    async def _spend(self, tokens: int) -> None:
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
