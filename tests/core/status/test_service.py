from __future__ import annotations

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.outbox.wakeup import Wakeup
from tests.helpers import recovery_feed, status_service, upd


async def test_one_wakeup_is_shared_by_every_part_that_queues(db: Database) -> None:
    wakeup = Wakeup()
    svc = status_service(db, wakeup=wakeup)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    assert wakeup.is_set()
    for queue in (
        lambda: svc.summary_tick("s1"),
        lambda: svc.manual_post("d1", title="T", state="monitoring", body="B"),
    ):
        wakeup.clear()
        assert await queue()
        assert wakeup.is_set()


async def test_a_service_without_a_feed_has_no_fetcher_and_nothing_to_poll(db: Database) -> None:
    svc = status_service(db)
    assert svc.fetcher is None and svc.poller.fetcher is None
    assert svc.snapshots.stale_after is None
