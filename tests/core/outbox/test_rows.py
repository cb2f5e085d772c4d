from __future__ import annotations

import json

import pytest

from bot.core.db import Database
from bot.core.outbox.notices import BadNotice, BroadcastDm, StatusEdit, StatusPost, TextPost
from bot.core.outbox.rows import enqueue, outbox_counts, outbox_row, text_post
from tests.helpers import outbox_rows


async def test_a_dedupe_key_is_queued_once_within_and_across_transactions(db: Database) -> None:
    rows = [text_post(1, "a", "first"), text_post(1, "a", "again"), text_post(1, "b", "other")]
    async with db.transaction() as s:
        assert await enqueue(s, rows) == 2
    async with db.transaction() as s:
        assert await enqueue(s, [text_post(1, "a", "later"), text_post(1, "c", "new")]) == 1
        assert await enqueue(s, []) == 0
    stored = await outbox_rows(db)
    assert [(r.dedupe_key, json.loads(r.payload)["content"]) for r in stored] == [
        ("a", "first"),
        ("b", "other"),
        ("c", "new"),
    ]
    assert {r.status for r in stored} == {"pending"}


async def test_a_rolled_back_change_queues_nothing(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction() as s:
            await enqueue(s, [text_post(1, "a", "x")])
            raise Boom
    assert await outbox_rows(db) == []


async def test_counts_per_status_for_one_broadcast_or_all(db: Database) -> None:
    async with db.transaction() as s:
        await enqueue(
            s,
            [outbox_row("dm", cid, f"bc:9:{cid}", BroadcastDm(content="x"), broadcast_id=9) for cid in (1, 2, 3)]
            + [text_post(5, "other", "y")],
        )
    assert await outbox_counts(db, broadcast_id=9) == {"pending": 3}
    assert await outbox_counts(db) == {"pending": 4}


def test_a_row_must_go_the_way_its_notice_can() -> None:
    with pytest.raises(BadNotice):
        outbox_row("dm", 1, "x", StatusEdit(key="k"), message_id=5)
    with pytest.raises(BadNotice):
        outbox_row("post", 1, "x", BroadcastDm(content="hi"))
    with pytest.raises(ValueError, match="message to edit"):
        outbox_row("edit", 1, "x", StatusEdit(key="k"))
    row = outbox_row("dm", 7, "k" * 400, StatusPost(key="k"), customer_id=7)
    assert (row["kind"], row["customer_id"], len(row["dedupe_key"])) == ("dm", 7, 300)
    assert outbox_row("dm", 7, "t", TextPost(content="x"))["kind"] == "dm"
