from __future__ import annotations

import json

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.status.subscriptions import announce
from tests.helpers import STATUS_CH, outbox_rows, recovery_feed, status_service, upd


async def test_subscribers_get_a_dm_per_new_update(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    assert await svc.subscribe(7) and not await svc.subscribe(7)
    await svc.subscribe(8)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery"))
    dms = await outbox_rows(db, "dm")
    assert sorted((d.target_id, d.dedupe_key) for d in dms) == [
        (7, "sub:recovery:inc1:b:7"),
        (8, "sub:recovery:inc1:b:8"),
    ]
    assert {d.customer_id for d in dms} == {7, 8}
    assert await svc.unsubscribe(8) and not await svc.is_subscribed(8)
    assert not await svc.unsubscribe(8)
    assert await svc.is_subscribed(7)


def test_an_update_is_announced_in_the_channel_and_to_each_subscriber() -> None:
    rows = announce("k1", [5, 6], STATUS_CH)
    assert [(r["kind"], r["target_id"], r["dedupe_key"]) for r in rows] == [
        ("post", STATUS_CH, "post:k1"),
        ("dm", 5, "sub:k1:5"),
        ("dm", 6, "sub:k1:6"),
    ]
    assert rows[0]["update_key"] == "k1" and rows[1]["update_key"] is None
    assert {json.loads(r["payload"])["key"] for r in rows} == {"k1"}
    assert [r["kind"] for r in announce("k1", [5], None)] == ["dm"]  # no status channel configured
