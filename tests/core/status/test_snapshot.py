from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.outbox.notices import Progress
from bot.core.status.snapshot import StatusSnapshot, StatusSnapshots, stale_after, view_of
from tests.fakes.feed_server import FeedServer
from tests.helpers import Clock, recovery_feed, status_service, upd


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
    svc = status_service(db, feed.url, clock=clock, poll_seconds=60)
    await svc.poll()
    snap = await svc.snapshot()
    assert snap is not None
    assert snap.as_of == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert "Contacts are coming back." in snap.text and "Contacts: partly restored (60%)" in snap.text
    assert "15:00 UTC" in snap.text and not snap.stale
    assert snap.line().startswith("Status as of 28 Nov 2026, 11:00 UTC: ")
    clock.now += timedelta(hours=2)
    stale = await svc.snapshot()
    assert stale is not None and stale.stale and "out of date" in stale.line()


async def test_without_a_feed_nothing_is_ever_stale(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 12, 30, tzinfo=UTC))
    svc = status_service(db, clock=clock)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    clock.now += timedelta(days=3)
    snap = await svc.snapshot()
    assert snap is not None and not snap.stale


async def test_the_snapshot_is_read_again_only_after_a_change_or_a_few_seconds(db: Database) -> None:
    clock = Clock(datetime(2026, 11, 28, 12, 30, tzinfo=UTC))
    svc = status_service(db, clock=clock)
    snapshots = StatusSnapshots(db, stale_after=None, clock=clock)  # another reader of the same database
    assert await snapshots.snapshot() is None
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    assert await snapshots.snapshot() is None  # cached: it did not see the other service's change
    clock.now += timedelta(seconds=6)
    first = await snapshots.snapshot()
    assert first is not None and "One." in first.text
    assert await svc.snapshot() == first  # now cached by the service too
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery"))
    newer = await svc.snapshot()  # the service that ingested reads again at once
    assert newer is not None and "Two." in newer.text and newer.version != first.version


def test_a_snapshot_line_names_its_time() -> None:
    snap = StatusSnapshot(text="All good.", as_of=datetime(2026, 11, 5, 9, 0, tzinfo=UTC), version="v")
    assert snap.line() == "Status as of 5 Nov 2026, 09:00 UTC: All good."
    assert stale_after(60) == timedelta(minutes=15) and stale_after(600) == timedelta(minutes=30)


async def test_a_stored_update_reads_as_a_view(db: Database) -> None:
    svc = status_service(db)
    feed = recovery_feed([upd("a", 8, "One.", progress={"photos": {"state": "in_progress", "percent": 5}})])
    await svc.ingest(parse_feed(feed, "recovery"))
    [row] = await svc.latest_updates(1)
    view = view_of(row)
    assert (view.key, view.incident, view.state, view.body) == (
        "recovery:inc1:a",
        "Contacts and photos unavailable",
        "recovering",
        "One.",
    )
    assert view.progress == {"photos": Progress(state="in_progress", percent=5)}
    assert view.published_at == datetime(2026, 11, 28, 8, tzinfo=UTC) and not view.edited
