from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.feeds.fetch import FeedFetcher
from bot.core.models import Outbox, StatusUpdate
from bot.core.notifications import DeliveryFailed, OutboxItem, OutboxWorker, RetryLater, Unreachable
from bot.core.registry import DeviceRegistry
from bot.core.status import StatusService
from tests.conftest import TEST_KEY
from tests.fakes.feed_server import FeedResponse, FeedServer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "status-feeds"
GITHUB_SUMMARY = (FIXTURES / "statuspage_github_summary_2022-11-25_active-incident.json").read_bytes()
ATOM_BEFORE = (FIXTURES / "githubstatus_history_2025-07-14_before-edit.atom").read_bytes()
ATOM_AFTER = (FIXTURES / "githubstatus_history_2025-07-15_after-edit.atom").read_bytes()
STATUS_CH, STAFF_CH = 111, 222
IMEI = "490154203237518"


def recovery_feed(
    updates: list[dict[str, Any]],
    devices: list[dict[str, Any]] | None = None,
    cursor: str | None = None,
    state: str = "recovering",
) -> bytes:
    doc: dict[str, Any] = {
        "version": 1,
        "generated_at": "2026-11-28T12:00:00Z",
        "incidents": [
            {
                "id": "inc1",
                "title": "Contacts and photos unavailable",
                "state": state,
                "impact": "critical",
                "created_at": "2026-11-27T08:00:00Z",
                "updated_at": "2026-11-28T12:00:00Z",
                "updates": updates,
            }
        ],
    }
    if devices is not None:
        doc["devices"] = {"items": devices, "next_cursor": cursor}
    return json.dumps(doc).encode()


def upd(uid: str, hour: int, body: str, state: str = "recovering", **extra: Any) -> dict[str, Any]:
    return {"id": uid, "state": state, "body": body, "published_at": f"2026-11-28T{hour:02d}:00:00Z", **extra}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/status.db")
    await database.upgrade()
    yield database
    await database.dispose()


def service(db: Database, url: str | None = None, **kw: Any) -> StatusService:
    fetcher = (
        FeedFetcher(url, timeout=kw.pop("timeout", 5.0), backoff=0.01, max_bytes=kw.pop("max_bytes", 16 << 20))
        if url
        else None
    )
    kw.setdefault("clock", Clock(datetime(2026, 11, 28, 12, 30, tzinfo=UTC)))
    return StatusService(
        db, DeviceCipher(TEST_KEY), fetcher=fetcher, status_channel_id=STATUS_CH, staff_channel_id=STAFF_CH, **kw
    )


async def outbox(db: Database, kind: str | None = None) -> list[Outbox]:
    async with db.sessions() as s:
        q = select(Outbox).order_by(col(Outbox.id))
        if kind:
            q = q.where(col(Outbox.kind) == kind)
        return list(await s.scalars(q))


class RecordingSender:
    """The transport boundary: records what would go to Discord, can fail on demand."""

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []
        self.fail: list[Exception] = []
        self.unreachable: set[int] = set()
        self._ids = 9000

    async def deliver(self, item: OutboxItem) -> int | None:
        if self.fail:
            raise self.fail.pop(0)
        if item.kind == "dm" and item.target_id in self.unreachable:
            raise Unreachable("50007 Cannot send messages to this user")
        self.sent.append(item)
        self._ids += 1
        return item.message_id or self._ids


# -- ingestion ---------------------------------------------------------------------------------


async def test_first_run_posts_only_the_current_state_then_nothing_twice(db: Database) -> None:
    svc = service(db)
    snap = parse_feed(GITHUB_SUMMARY, now=datetime(2022, 11, 25, 23, 0, tzinfo=UTC))
    r = await svc.ingest(snap)
    assert r.new == 7
    posts = await outbox(db, "post")
    assert len(posts) == 1  # the latest update of the open incident, not the whole history
    latest = max((u for i in snap.incidents for u in i.updates), key=lambda u: u.published_at)
    assert posts[0].update_key == latest.key
    again = await service(db).ingest(snap)  # a restart: a new service on the same database
    assert (again.new, again.edited, again.notices) == (0, 0, 0)
    assert len(await outbox(db)) == 1


async def test_later_updates_are_posted_in_order_once_each(db: Database) -> None:
    svc = service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "Investigating.")]), "recovery"))
    body = recovery_feed([upd("a", 8, "Investigating."), upd("c", 10, "Photos next."), upd("b", 9, "Contacts.")])
    r = await svc.ingest(parse_feed(body, "recovery"))
    assert r.new == 2
    assert [p.update_key for p in await outbox(db, "post")] == ["recovery:inc1:a", "recovery:inc1:b", "recovery:inc1:c"]


async def test_an_update_edited_at_the_source_edits_the_posted_message(db: Database) -> None:
    svc = service(db)
    now = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)
    await svc.ingest(parse_feed(ATOM_BEFORE, now=now))
    async with db.transaction() as s:  # pretend every update was posted, as message 5000 + id
        for row in await s.scalars(select(StatusUpdate)):
            row.message_id = 5000 + (row.id or 0)
    r = await svc.ingest(parse_feed(ATOM_AFTER, now=now))
    assert r.edited == 1
    edits = await outbox(db, "edit")
    assert len(edits) == 1
    assert "25724106" in (edits[0].update_key or "")
    async with db.sessions() as s:
        row = await s.scalar(select(StatusUpdate).where(col(StatusUpdate.key) == edits[0].update_key))
    assert row is not None and row.edited and edits[0].message_id == row.message_id
    assert (await svc.ingest(parse_feed(ATOM_AFTER, now=now))).edited == 0


async def test_two_instances_polling_together_queue_each_post_once(database: Database) -> None:
    await service(database).ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    body = recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "Three.")])
    snaps = [parse_feed(body, "recovery") for _ in range(4)]
    await asyncio.gather(*(service(database).ingest(s) for s in snaps))
    posts = await outbox(database, "post")
    assert sorted(p.dedupe_key for p in posts) == [
        "post:recovery:inc1:a",
        "post:recovery:inc1:b",
        "post:recovery:inc1:c",
    ]


async def test_subscribers_get_a_dm_per_new_update(db: Database) -> None:
    svc = service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    assert await svc.subscribe(7) and not await svc.subscribe(7)
    await svc.subscribe(8)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery"))
    dms = await outbox(db, "dm")
    assert sorted((d.target_id, d.dedupe_key) for d in dms) == [
        (7, "sub:recovery:inc1:b:7"),
        (8, "sub:recovery:inc1:b:8"),
    ]
    assert await svc.unsubscribe(8) and not await svc.is_subscribed(8)


async def test_pause_holds_updates_and_resume_posts_them_in_order(db: Database) -> None:
    svc = service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await svc.set_paused(True)
    await svc.ingest(
        parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "3")]), "recovery")
    )
    assert len(await outbox(db, "post")) == 1
    assert (await svc.health()).paused
    assert await svc.set_paused(False) == 2
    assert [p.update_key for p in await outbox(db, "post")][1:] == ["recovery:inc1:b", "recovery:inc1:c"]


async def test_registered_devices_are_told_when_their_data_changes_state(db: Database) -> None:
    registry = DeviceRegistry(db, DeviceCipher(TEST_KEY))
    await registry.register(42, IMEI)
    await registry.register(43, "AF0123450ABCDE")
    svc = service(db)
    devices = [
        {
            "device_id": "49-015420-323751-8",
            "state": "partial",
            "updated_at": "2026-11-28T11:00:00Z",
            "progress": {"contacts": {"state": "restored"}, "photos": {"state": "in_progress", "percent": 40}},
        },
        {"device_id": "af0123450abcde", "state": "in_progress", "updated_at": "2026-11-28T11:00:00Z"},
        {"device_id": "356938035643809", "state": "restored", "updated_at": "2026-11-28T11:00:00Z"},  # nobody's
    ]
    r = await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], devices, cursor="c1"), "recovery"))
    assert r.devices_changed == 3
    dms = await outbox(db, "dm")
    assert [(d.target_id, json.loads(d.payload)["state"]) for d in dms] == [(42, "partial")]
    assert IMEI not in dms[0].payload and json.loads(dms[0].payload)["tail"] == "7518"
    # the same report again changes nothing; a newer state notifies again
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], devices, cursor="c2"), "recovery"))
    assert len(await outbox(db, "dm")) == 1
    devices[0] = {**devices[0], "state": "restored", "updated_at": "2026-11-28T12:00:00Z", "progress": {}}
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], devices, cursor="c3"), "recovery"))
    assert [json.loads(d.payload)["state"] for d in await outbox(db, "dm")] == ["partial", "restored"]
    status = await svc.device_status(42)
    assert [(s.masked, s.state) for s in status] == [("****7518", "restored")]
    assert [(s.masked, s.state) for s in await svc.device_status(43)] == [("****BCDE", "in_progress")]


# -- fetching and health -----------------------------------------------------------------------


async def test_polling_uses_etags_and_the_device_cursor(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-1"))
    svc = service(db, feed.url)
    assert (await svc.poll()).new == 1
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-2"))
    await svc.poll()
    assert feed.requests[1]["since"] == "cur-1"
    assert feed.requests[0]["if-none-match"] == ""
    # an answer to ?since= depends on the cursor: validators of another answer must not turn it into a 304
    assert feed.requests[1]["if-none-match"] == ""


async def test_a_request_with_a_cursor_is_never_conditional(db: Database, feed: FeedServer) -> None:
    stamp = "Sat, 28 Nov 2026 12:00:00 GMT"
    feed.current = FeedResponse(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-1"), last_modified=stamp)
    svc = service(db, feed.url)
    await svc.poll()
    feed.current = FeedResponse(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-2"), last_modified=stamp)
    await svc.poll()
    assert feed.requests[1] == {"since": "cur-1", "if-none-match": "", "if-modified-since": ""}


async def test_a_feed_without_a_cursor_keeps_the_one_it_had(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-1"))
    svc = service(db, feed.url)
    await svc.poll()
    feed.serve(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")], [], cursor=None))
    await svc.poll()
    feed.serve(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "Three.")], [], cursor=None))
    await svc.poll()
    assert [r["since"] for r in feed.requests] == ["", "cur-1", "cur-1"]


async def test_not_modified_is_a_good_poll(db: Database, feed: FeedServer) -> None:
    feed.serve(GITHUB_SUMMARY)
    svc = service(db, feed.url, clock=Clock(datetime(2022, 11, 25, 23, tzinfo=UTC)))
    assert (await svc.poll()).ok
    r = await svc.poll()
    assert r.ok and r.not_modified
    assert feed.requests[1]["if-none-match"].startswith('"')


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (FeedResponse(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", content_type="text/html"), "HTML"),
        (FeedResponse(b'{"version": 1, "generated_at": "2026-11-28T1'), "truncated"),
        (FeedResponse(b'{"page": {"id": "x"}, "hello": "world"}'), "schema"),
        (FeedResponse(b"x" * (20 << 20)), "too large"),
        (FeedResponse(status=404), "404"),
        (FeedResponse(status=503), "503"),
        (FeedResponse(b"{}", delay=2.0), "Timeout"),
    ],
    ids=["html", "truncated", "schema", "20MB", "404", "503", "slow"],
)
async def test_a_bad_feed_is_a_failed_poll_never_a_crash_or_a_post(
    db: Database, feed: FeedServer, bad: FeedResponse, reason: str
) -> None:
    feed.current = bad
    svc = service(db, feed.url, timeout=0.5)
    r = await svc.poll()
    assert not r.ok and r.error
    assert await outbox(db) == []
    health = await svc.health()
    assert health.failures == 1 and health.last_error


async def test_absurd_timestamps_are_refused(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "x") | {"published_at": "2099-01-01T00:00:00Z"}]))
    r = await service(db, feed.url).poll()
    assert not r.ok and "timestamp" in (r.error or "")


async def test_staff_are_alerted_once_when_the_feed_keeps_failing_and_once_when_it_recovers(
    db: Database, feed: FeedServer
) -> None:
    feed.current = FeedResponse(status=500)
    svc = service(db, feed.url, alert_after=3)
    for _ in range(6):
        assert not (await svc.poll()).ok
    alerts = await outbox(db, "post")
    assert len(alerts) == 1 and alerts[0].target_id == STAFF_CH and "failed 3 times" in alerts[0].payload
    feed.serve(recovery_feed([upd("a", 8, "One.")]))
    assert (await svc.poll()).ok
    assert (await svc.poll()).ok
    staff = [p for p in await outbox(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 2 and "working again" in staff[1].payload
    assert (await svc.health()).failures == 0


async def test_snapshot_quotes_the_latest_status_and_says_when_it_is_stale(db: Database, feed: FeedServer) -> None:
    clock = Clock(datetime(2026, 11, 28, 12, 30, tzinfo=UTC))
    feed.serve(
        recovery_feed(
            [
                upd("a", 8, "Investigating."),
                upd(
                    "b",
                    11,
                    "Contacts are coming back.",
                    next_update_by="2026-11-28T15:00:00Z",
                    progress={"contacts": {"state": "partial", "percent": 60}},
                ),
            ]
        )
    )
    svc = service(db, feed.url, clock=clock, poll_seconds=60)
    await svc.poll()
    snap = await svc.snapshot()
    assert snap is not None
    assert snap.as_of == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert "Contacts are coming back." in snap.text and "Contacts: partly restored (60%)" in snap.text
    assert "15:00 UTC" in snap.text and not snap.stale
    clock.now += timedelta(hours=2)
    stale = await svc.snapshot()
    assert stale is not None and stale.stale and "out of date" in stale.line()


async def test_summary_once_per_slot_and_reminder_once_per_promise(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 14, 50, tzinfo=UTC))
    svc = service(db, clock=clock, reminder_minutes=15)
    await svc.ingest(
        parse_feed(
            recovery_feed([upd("a", 11, "Working.", next_update_by="2026-11-28T15:00:00Z")]), "recovery", now=clock.now
        )
    )
    assert await svc.summary_tick("slot-1") and not await svc.summary_tick("slot-1")
    assert await svc.reminder_tick() and not await svc.reminder_tick()
    staff = [p for p in await outbox(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 1 and "promised the next update by 28 Nov 15:00 UTC" in staff[0].payload


async def test_reminder_only_for_an_open_promise_from_its_reminder_time_on(db: Database) -> None:
    promise = "2026-11-28T15:00:00Z"
    at_reminder_time = Clock(datetime(2026, 11, 28, 14, 45, tzinfo=UTC))  # exactly 15 minutes before
    # no reminder without a reminder lead time or a staff channel, and none before any update
    assert not await service(db, clock=at_reminder_time, reminder_minutes=0).reminder_tick()
    svc = service(db, clock=at_reminder_time, reminder_minutes=15)
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
    assert await service(db, clock=at_reminder_time, reminder_minutes=0).reminder_tick() is False
    early = Clock(at_reminder_time.now - timedelta(seconds=1))
    assert await service(db, clock=early, reminder_minutes=15).reminder_tick() is False
    assert [p for p in await outbox(db, "post") if p.target_id == STAFF_CH] == []
    assert await svc.reminder_tick() is True
    staff = [p for p in await outbox(db, "post") if p.target_id == STAFF_CH]
    assert len(staff) == 1 and "which is in 15 minutes" in staff[0].payload


async def test_no_reminder_once_the_incident_is_resolved(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 14, 50, tzinfo=UTC))
    svc = service(db, clock=clock, reminder_minutes=15)
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
    assert [p for p in await outbox(db, "post") if p.target_id == STAFF_CH] == []


async def test_no_summary_when_everything_is_resolved(db: Database) -> None:
    svc = service(db)
    await svc.ingest(
        parse_feed(recovery_feed([upd("a", 11, "Fixed.", state="resolved")], state="resolved"), "recovery")
    )
    assert not await svc.summary_tick("s")


# -- delivery ----------------------------------------------------------------------------------


async def test_worker_delivers_posts_before_dms_with_the_row_id_as_nonce(db: Database) -> None:
    svc = service(db)
    await svc.subscribe(7)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery"))
    sender = RecordingSender()
    worker = OutboxWorker(db, sender, dm_per_second=20)
    assert await worker.deliver_due() == 4
    assert [i.kind for i in sender.sent] == ["post", "post", "dm", "dm"]
    assert all(i.nonce == f"ob{i.id}" for i in sender.sent)
    assert sender.sent[0].payload["update"]["body"] == "One."
    assert await worker.deliver_due() == 0
    async with db.sessions() as s:
        ids = list(await s.scalars(select(StatusUpdate.message_id)))
    assert all(ids)


async def test_an_edit_made_while_the_post_was_queued_is_posted_as_edited(db: Database) -> None:
    svc = service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One, corrected.")]), "recovery"))
    sender = RecordingSender()
    await OutboxWorker(db, sender, dm_per_second=20).deliver_due()
    assert len(sender.sent) == 1  # the post shows the corrected text: no separate edit needed
    assert sender.sent[0].payload["update"]["body"] == "One, corrected."
    assert sender.sent[0].payload["update"]["edited"]


async def test_retries_unreachable_and_permanent_failures(db: Database) -> None:
    svc = service(db)
    for cid in (1, 2, 3):
        await svc.subscribe(cid)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery"))
    sender = RecordingSender()
    sender.unreachable = {2}
    sender.fail = [RetryLater(0.0, "429"), DeliveryFailed("Unknown Channel")]
    worker = OutboxWorker(db, sender, dm_per_second=20)
    await worker.deliver_due()
    await worker.deliver_due()
    await worker.deliver_due()
    rows = await outbox(db)
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    # 2 posts (one retried after a 429, one failed for good) and 3 customers x 2 updates
    assert by_status == {"failed": 1, "sent": 5, "unreachable": 2}
    unreachable = [r for r in rows if r.status == "unreachable"]
    assert {r.customer_id for r in unreachable} == {2}
    assert all("50007" in (r.last_error or "") for r in unreachable)


async def test_a_crash_between_claim_and_commit_resends_with_the_same_nonce(db: Database) -> None:
    svc = service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    worker = OutboxWorker(db, RecordingSender(), dm_per_second=20)
    [item] = await worker._due(("post",))
    assert await worker._claim(item)  # ... and the process dies here
    assert not await worker._claim(item)  # another instance cannot take it while the lease holds
    async with db.transaction() as s:  # the lease runs out
        row = await s.get(Outbox, item.id)
        assert row is not None
        row.next_attempt_at = row.next_attempt_at - timedelta(minutes=2)
    sender = RecordingSender()
    assert await OutboxWorker(db, sender, dm_per_second=20).deliver_due() == 1
    assert sender.sent[0].nonce == item.nonce
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Outbox).where(col(Outbox.status) == "sent")) == 1


async def test_the_same_bytes_again_are_not_parsed_again(db: Database, feed: FeedServer) -> None:
    body = recovery_feed([upd("a", 8, "One.")])
    feed.current = FeedResponse(body, etag=False)  # a server without ETags, like a plain file
    svc = service(db, feed.url)
    assert (await svc.poll()).new == 1
    again = await svc.poll()
    assert again.ok and again.not_modified
    feed.current = FeedResponse(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), etag=False)
    assert (await svc.poll()).new == 1
