from __future__ import annotations

from bot.core.db import Database
from bot.core.outbox.wakeup import Wakeup
from tests.fakes.feed_server import FeedResponse, FeedServer
from tests.helpers import STAFF_CH, outbox_rows, recovery_feed, status_service, upd


async def test_staff_are_alerted_once_when_the_feed_keeps_failing_and_once_when_it_recovers(
    db: Database, feed: FeedServer
) -> None:
    feed.current = FeedResponse(status=500)
    wakeup = Wakeup()
    svc = status_service(db, feed.url, alert_after=3, wakeup=wakeup)
    for _ in range(2):
        assert not (await svc.poll()).ok
    assert await outbox_rows(db) == [] and not wakeup.is_set()
    for _ in range(4):
        assert not (await svc.poll()).ok
    alerts = await outbox_rows(db, "post")
    assert len(alerts) == 1 and alerts[0].target_id == STAFF_CH and "failed 3 times" in alerts[0].payload
    assert wakeup.is_set()
    health = await svc.health()
    assert health.failures == 6 and health.last_error and health.last_error_at and health.configured
    wakeup.clear()
    feed.serve(recovery_feed([upd("a", 8, "One.")]))
    assert (await svc.poll()).ok
    assert wakeup.is_set()
    assert (await svc.poll()).ok
    staff = [p for p in await outbox_rows(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 2 and "working again" in staff[1].payload
    health = await svc.health()
    assert health.failures == 0 and health.last_good_at is not None and health.updates_seen == 1


async def test_a_feed_that_recovers_with_nothing_new_still_tells_staff(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "One.")]))
    svc = status_service(db, feed.url, alert_after=1)
    assert (await svc.poll()).ok
    good = feed.current
    feed.current = FeedResponse(status=503)
    assert not (await svc.poll()).ok
    feed.current = good  # the same bytes as the last good fetch: nothing to ingest
    r = await svc.poll()
    assert r.ok and r.not_modified
    staff = [p.payload for p in await outbox_rows(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 2 and "working again" in staff[1]


async def test_health_without_a_feed(db: Database) -> None:
    health = await status_service(db).health()
    assert not health.configured and not health.paused and health.failures == 0 and health.last_good_at is None


async def test_the_working_again_message_wakes_the_worker_even_when_the_feed_brings_nothing_new(
    db: Database, feed: FeedServer
) -> None:
    feed.serve(recovery_feed([upd("a", 8, "One.")]))
    wakeup = Wakeup()
    svc = status_service(db, feed.url, alert_after=1, wakeup=wakeup)
    assert (await svc.poll()).ok
    feed.current = FeedResponse(status=503)
    assert not (await svc.poll()).ok
    wakeup.clear()
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="c1"))  # new bytes, no new update
    r = await svc.poll()
    assert r.ok and not r.not_modified and r.notices == 0
    assert wakeup.is_set()
    assert "working again" in (await outbox_rows(db, "post"))[-1].payload
