from __future__ import annotations

import json

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.outbox.wakeup import Wakeup
from tests.helpers import outbox_rows, recovery_feed, status_service, upd


async def test_pause_holds_updates_and_resume_posts_them_in_order(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    assert await svc.set_paused(True) == 0
    await svc.ingest(
        parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "3")]), "recovery")
    )
    assert len(await outbox_rows(db, "post")) == 1
    assert (await svc.health()).paused
    assert await svc.set_paused(False) == 2
    assert [p.update_key for p in await outbox_rows(db, "post")][1:] == ["recovery:inc1:b", "recovery:inc1:c"]
    assert not (await svc.health()).paused
    assert await svc.set_paused(False) == 0  # nothing is held any more


async def test_a_manual_post_goes_out_like_a_feed_update_once_per_draft(db: Database) -> None:
    wakeup = Wakeup()
    svc = status_service(db, wakeup=wakeup)
    await svc.subscribe(7)
    assert await svc.snapshot() is None  # read (and kept for a few seconds) before the post
    assert await svc.manual_post("d1", title="Sync outage", state="monitoring", body="Watching closely.")
    assert wakeup.is_set()
    assert not await svc.manual_post("d1", title="Sync outage", state="monitoring", body="Watching closely.")
    rows = await outbox_rows(db)
    assert [(r.kind, r.dedupe_key) for r in rows] == [("post", "post:manual:d1"), ("dm", "sub:manual:d1:7")]
    assert json.loads(rows[0].payload) == {"kind": "status", "key": "manual:d1"}
    snap = await svc.snapshot()
    assert snap is not None and "Sync outage (Monitoring): Watching closely." in snap.text
