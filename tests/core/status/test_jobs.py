from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.outbox.notices import Summary, parse_notice
from bot.core.status.service import StatusService
from tests.conftest import TEST_KEY
from tests.helpers import STAFF_CH, STATUS_CH, Clock, outbox_rows, recovery_feed, status_service, upd


async def test_summary_once_per_slot_and_reminder_once_per_promise(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 14, 50, tzinfo=UTC))
    svc = status_service(db, clock=clock, reminder_minutes=15)
    await svc.ingest(
        parse_feed(
            recovery_feed([upd("a", 11, "Working.", next_update_by="2026-11-28T15:00:00Z")]), "recovery", now=clock.now
        )
    )
    assert await svc.summary_tick("slot-1") and not await svc.summary_tick("slot-1")
    [summary] = [p for p in await outbox_rows(db, "post") if p.dedupe_key.startswith("summary:")]
    notice = parse_notice(summary.payload, "post")
    assert summary.target_id == STATUS_CH and isinstance(notice, Summary)
    assert "Working." in notice.text and notice.as_of == datetime(2026, 11, 28, 11, tzinfo=UTC)
    assert await svc.reminder_tick() and not await svc.reminder_tick()
    staff = [p for p in await outbox_rows(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 1 and "promised the next update by 28 Nov 15:00 UTC" in staff[0].payload
    assert "in 10 minutes" in staff[0].payload


async def test_no_reminder_while_the_promise_is_far_off(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 14, 0, tzinfo=UTC))
    svc = status_service(db, clock=clock, reminder_minutes=15)
    feed = recovery_feed([upd("a", 11, "Working.", next_update_by="2026-11-28T15:00:00Z")])
    await svc.ingest(parse_feed(feed, "recovery", now=clock.now))
    assert not await svc.reminder_tick()
    clock.now = datetime(2026, 11, 28, 15, 5, tzinfo=UTC)
    assert await svc.reminder_tick()
    assert "now (it has passed)" in (await outbox_rows(db, "post"))[-1].payload


async def test_no_summary_when_everything_is_resolved(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(
        parse_feed(recovery_feed([upd("a", 11, "Fixed.", state="resolved")], state="resolved"), "recovery")
    )
    assert not await svc.summary_tick("s")
    assert not await svc.reminder_tick()


async def test_no_summary_before_anything_is_stored(db: Database) -> None:
    assert not await status_service(db).summary_tick("s")


async def test_reminder_only_for_an_open_promise_from_its_reminder_time_on(db: Database) -> None:
    promise = "2026-11-28T15:00:00Z"
    at_reminder_time = Clock(datetime(2026, 11, 28, 14, 45, tzinfo=UTC))  # exactly 15 minutes before
    # no reminder without a reminder lead time or a staff channel, and none before any update
    assert not await status_service(db, clock=at_reminder_time, reminder_minutes=0).reminder_tick()
    svc = status_service(db, clock=at_reminder_time, reminder_minutes=15)
    assert await svc.reminder_tick() is False
    await svc.ingest(parse_feed(recovery_feed([upd("a", 11, "Working.")]), "recovery", now=at_reminder_time.now))
    assert await svc.reminder_tick() is False  # nothing promised
    no_staff = StatusService(db, DeviceCipher(TEST_KEY), fetcher=None, clock=at_reminder_time, reminder_minutes=15)
    await svc.ingest(
        parse_feed(
            recovery_feed([upd("a", 11, "Working."), upd("b", 12, "Still working.", next_update_by=promise)]),
            "recovery",
            now=at_reminder_time.now,
        )
    )
    assert await no_staff.reminder_tick() is False
    assert await status_service(db, clock=at_reminder_time, reminder_minutes=0).reminder_tick() is False
    early = Clock(at_reminder_time.now - timedelta(seconds=1))
    assert await status_service(db, clock=early, reminder_minutes=15).reminder_tick() is False
    assert [p for p in await outbox_rows(db, "post") if p.target_id == STAFF_CH] == []
    assert await svc.reminder_tick() is True
    staff = [p for p in await outbox_rows(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 1 and "which is in 15 minutes" in staff[0].payload


async def test_no_reminder_once_the_incident_is_resolved(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 14, 50, tzinfo=UTC))
    svc = status_service(db, clock=clock, reminder_minutes=15)
    await svc.ingest(
        parse_feed(
            recovery_feed(
                [upd("a", 11, "Fixed.", state="resolved", next_update_by="2026-11-28T15:00:00Z")], state="resolved"
            ),
            "recovery",
            now=clock.now,
        )
    )
    assert await svc.reminder_tick() is False
    assert [p for p in await outbox_rows(db, "post") if p.target_id == STAFF_CH] == []
