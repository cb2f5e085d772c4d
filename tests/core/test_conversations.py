"""Conversations, answers, the answer cache and LLM spending, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.core.answering import Answer
from bot.core.conversations import ConversationStore, next_id
from bot.core.db import Database
from bot.core.models import AnswerRecord, Conversation, LlmUsage, Turn
from tests.helpers import sqlite_database

ALICE, BOB = 1001, 1002
THREAD, DM = 500, 600


async def ask(store: ConversationStore, conversation: int | None, question: str, reply: str = "An answer.",
              customer: int = ALICE, **answer: object) -> int:
    return await store.record(
        customer_id=customer, conversation_id=conversation, question=question,
        answer=Answer(reply, "offline", **answer), faq_version="v1",  # type: ignore[arg-type]
    )


async def count(db: Database, column: object) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count(column))) or 0)  # type: ignore[call-overload]


def test_ids_are_unique_positive_63_bit_numbers() -> None:
    ids = [next_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(0 < i < 1 << 63 for i in ids)


async def test_a_conversation_is_one_per_customer_and_place(database: Database) -> None:
    store = ConversationStore(database)
    first = await store.open(ALICE, THREAD, "thread")
    assert await store.open(ALICE, THREAD, "thread") == first
    assert len({first, await store.open(ALICE, DM, "dm"), await store.open(BOB, THREAD, "thread")}) == 3
    await ask(store, first, "hello?")
    await store.flush()
    async with database.sessions() as session:
        row = await session.get(Conversation, first)
    assert row is not None and (row.customer_id, row.channel_id, row.kind) == (ALICE, THREAD, "thread")
    assert await count(database, Conversation.id) == 3


async def test_answers_and_turns_are_written_behind_and_flush_waits_for_them(database: Database) -> None:
    store = ConversationStore(database)
    conv = await store.open(ALICE, THREAD, "thread")
    ids = [await ask(store, conv, f"question {n}", f"answer {n}", faq_keys=("a", "b")) for n in range(3)]
    escalated = await ask(store, None, "a person please", "Someone will join.", escalate="asked")
    await store.flush()
    assert await count(database, AnswerRecord.id) == 4
    assert await count(database, Turn.id) == 6  # two turns per answer in a conversation, none without one
    rec = await store.answer_record(ids[1])
    assert rec is not None
    assert (rec.customer_id, rec.conversation_id, rec.question, rec.answer) == (ALICE, conv, "question 1", "answer 1")
    assert (rec.source, rec.answered, rec.escalated, rec.faq_keys, rec.faq_version) == (
        "offline", True, False, "a,b", "v1"
    )
    other = await store.answer_record(escalated)
    assert other is not None and other.escalated and other.conversation_id is None
    assert await store.history(conv, turns=10, max_chars=10_000) == [
        (role, f"{kind} {n}") for n in range(3) for role, kind in (("customer", "question"), ("bot", "answer"))
    ]


async def test_recording_an_answer_does_not_wait_for_the_database(tmp_path: Path) -> None:
    """While another writer holds SQLite's write turn, `record` still returns its id at once."""
    async with sqlite_database(tmp_path / "c.db") as db:
        store = ConversationStore(db)
        conv = await store.open(ALICE, THREAD, "thread")
        async with db.writing():
            # a guard against a hang only: a `record` that waited for the write would never return here
            answer_id = await asyncio.wait_for(ask(store, conv, "quick?"), timeout=30)
            assert await count(db, AnswerRecord.id) == 0
        await store.flush()
        assert (await store.answer_record(answer_id)) is not None


async def test_many_answers_at_once_are_all_stored(database: Database) -> None:
    store = ConversationStore(database)
    convs = [await store.open(customer, THREAD, "thread") for customer in range(1, 41)]
    ids = await asyncio.gather(*(ask(store, c, f"q{c}", customer=n + 1) for n, c in enumerate(convs)))
    await store.flush()
    assert len(set(ids)) == 40
    assert await count(database, AnswerRecord.id) == 40
    assert await count(database, Conversation.id) == 40


async def test_an_existing_conversation_is_adopted_after_a_restart(database: Database) -> None:
    before = ConversationStore(database)
    conv = await before.open(ALICE, THREAD, "thread")
    await ask(before, conv, "first question", "first answer")
    await before.flush()

    after = ConversationStore(database)  # a restart: nothing in memory
    fresh = await after.open(ALICE, THREAD, "thread")
    assert fresh != conv  # not looked up on the answer path
    answer_id = await ask(after, fresh, "second question", "second answer")
    await after.flush()
    assert await after.open(ALICE, THREAD, "thread") == conv
    rec = await after.answer_record(answer_id)
    assert rec is not None and rec.conversation_id == conv
    assert await count(database, Conversation.id) == 1
    assert [text for _, text in await after.history(conv, 10, 10_000)] == [
        "first question", "first answer", "second question", "second answer"
    ]


async def test_two_instances_opening_one_conversation_share_one_row(database: Database) -> None:
    one, two = ConversationStore(database), ConversationStore(database)
    a = await one.open(ALICE, THREAD, "thread")
    b = await two.open(ALICE, THREAD, "thread")
    await ask(one, a, "from one")
    await ask(two, b, "from two")
    await asyncio.gather(one.flush(), two.flush())
    assert await count(database, Conversation.id) == 1
    assert await count(database, AnswerRecord.id) == 2
    assert await one.open(ALICE, THREAD, "thread") == await two.open(ALICE, THREAD, "thread")


async def test_a_forgotten_customer_is_found_again_in_the_database(database: Database) -> None:
    store = ConversationStore(database)
    conv = await store.open(ALICE, THREAD, "thread")
    await ask(store, conv, "before")
    await store.flush()
    store.forget(ALICE)
    again = await store.open(ALICE, THREAD, "thread")
    await ask(store, again, "after")
    await store.flush()
    assert await store.open(ALICE, THREAD, "thread") == conv
    assert len(await store.history(conv, 10, 10_000)) == 4


async def test_only_the_customer_who_asked_can_rate_an_answer(database: Database) -> None:
    store = ConversationStore(database)
    answer_id = await ask(store, None, "will I get my photos back?")
    assert not await store.feedback(answer_id, BOB, "not_helpful")
    rec = await store.answer_record(answer_id)
    assert rec is not None and rec.feedback is None
    assert await store.feedback(answer_id, ALICE, "helpful")
    rec = await store.answer_record(answer_id)
    assert rec is not None and rec.feedback == "helpful"
    assert not await store.feedback(answer_id + 1, ALICE, "helpful")


async def test_history_is_the_latest_turns_within_the_character_budget(database: Database) -> None:
    store = ConversationStore(database)
    conv = await store.open(ALICE, THREAD, "thread")
    await ask(store, conv, "q" * 10, "a" * 100)
    await ask(store, conv, "Q" * 10, "A" * 20)
    await ask(store, await store.open(BOB, THREAD, "thread"), "not Alice's", customer=BOB)
    assert await store.history(conv, turns=2, max_chars=1000) == [("customer", "Q" * 10), ("bot", "A" * 20)]
    assert await store.history(conv, turns=10, max_chars=30) == [("customer", "Q" * 10), ("bot", "A" * 20)]
    assert await store.history(conv, turns=10, max_chars=29) == [("bot", "A" * 20)]
    # the budget stops at the first turn that does not fit; no older, shorter one is slipped in
    assert await store.history(conv, turns=10, max_chars=129) == [("customer", "Q" * 10), ("bot", "A" * 20)]
    assert await store.history(conv, turns=10, max_chars=135) == [
        ("bot", "a" * 100), ("customer", "Q" * 10), ("bot", "A" * 20)
    ]
    assert await store.history(conv, turns=10, max_chars=140) == [
        ("customer", "q" * 10), ("bot", "a" * 100), ("customer", "Q" * 10), ("bot", "A" * 20)
    ]
    assert await store.history(conv, turns=10, max_chars=5) == []


async def test_recent_turns_span_the_customers_conversations(database: Database) -> None:
    store = ConversationStore(database)
    await ask(store, await store.open(ALICE, THREAD, "thread"), "q1", "a1")
    await ask(store, await store.open(ALICE, DM, "dm"), "q2", "a2")
    await ask(store, None, "q3", "a3")
    await ask(store, None, "bob's", "x", customer=BOB)
    assert await store.recent_turns_for(ALICE) == [("q1", "a1"), ("q2", "a2"), ("q3", "a3")]
    assert await store.recent_turns_for(ALICE, limit=2) == [("q2", "a2"), ("q3", "a3")]


async def test_the_cache_stores_finds_counts_and_keeps_the_first_answer(database: Database) -> None:
    store = ConversationStore(database)
    assert await store.cached(["k1"]) is None
    await store.store_cache(["k1", "k2"], "Cached answer.", ("faq-a", "faq-b"), "v1", ALICE)
    hit = await store.cached(["nothing", "k2"])
    assert hit is not None
    assert (hit.cache_key, hit.answer, hit.faq_keys, hit.faq_version, hit.customer_id, hit.hits) == (
        "k2", "Cached answer.", "faq-a,faq-b", "v1", ALICE, 1
    )
    again = await store.cached(["k2"])
    assert again is not None and again.hits == 2
    await store.store_cache(["k1"], "A later answer.", ("faq-a",), "v1", BOB)  # the first one stays
    first = await store.cached(["k1"])
    assert first is not None and first.answer == "Cached answer."


async def test_invalidating_forgets_only_answers_built_on_the_named_entries(database: Database) -> None:
    store = ConversationStore(database)
    await store.store_cache(["k1"], "one", ("faq-a",), "v1", ALICE)
    await store.store_cache(["k2"], "two", ("faq-b", "faq-c"), "v1", ALICE)
    await store.store_cache(["k3"], "three", ("faq-ab",), "v1", ALICE)
    assert await store.invalidate_cache({"faq-x"}) == 0
    assert await store.invalidate_cache({"faq-c"}) == 1
    assert await store.cached(["k2"]) is None
    assert await store.cached(["k1"]) is not None and await store.cached(["k3"]) is not None
    assert await store.invalidate_cache() == 2
    assert await store.cached(["k1", "k3"]) is None


async def test_the_llm_budget_counts_tokens_per_utc_day(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ConversationStore(database)
    monkeypatch.setattr(ConversationStore, "_today", staticmethod(lambda: "2026-11-28"))
    assert await store.budget_left(100)
    assert not await store.budget_left(0)
    await store.spend(60)
    assert await store.budget_left(100)
    await store.spend(40)
    assert not await store.budget_left(100)
    assert await store.budget_left(101)
    async with database.sessions() as session:
        usage = await session.get(LlmUsage, "2026-11-28")
    assert usage is not None and (usage.tokens, usage.calls) == (100, 2)
    monkeypatch.setattr(ConversationStore, "_today", staticmethod(lambda: "2026-11-29"))
    assert await store.budget_left(100)  # a new day, a new budget


async def test_spending_from_two_stores_at_once_loses_nothing(database: Database) -> None:
    one, two = ConversationStore(database), ConversationStore(database)
    await asyncio.gather(*(s.spend(10) for s in (one, two) for _ in range(5)))
    async with database.sessions() as session:
        usage = (await session.scalars(select(LlmUsage).where(col(LlmUsage.day) == one._today()))).one()
    assert (usage.tokens, usage.calls) == (100, 10)
