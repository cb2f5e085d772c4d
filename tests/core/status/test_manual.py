from __future__ import annotations

import json
from datetime import UTC, datetime

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


def _progress(contacts: int, photos: int) -> dict[str, object]:
    return {
        "contacts": {"state": "partial" if contacts < 100 else "restored", "percent": contacts},
        "photos": {"state": "in_progress", "percent": photos},
    }


async def test_a_manual_post_merges_with_the_feeds_state(db: Database) -> None:
    svc = status_service(db)
    promised = "2026-11-28T14:00:00Z"
    feed = recovery_feed([upd("a", 8, "Restoring.", progress=_progress(80, 10), next_update_by=promised)])
    await svc.ingest(parse_feed(feed, "recovery"))
    current = await svc.current_update()
    assert current is not None and current.incident_key == "recovery:inc1"
    photos_only = {"photos": {"state": "partial", "percent": 40}}
    next_by = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    assert await svc.manual_post(
        "d2", title=current.incident_title, state="recovering", body="Photos are coming back.",
        progress=photos_only, next_update_by=next_by,
    )  # fmt: skip
    [latest] = await svc.latest_updates(1)
    assert latest.key == "manual:d2" and latest.incident_key == "recovery:inc1"  # the same incident
    assert json.loads(latest.progress) == {
        "contacts": {"state": "partial", "percent": 80},  # what the feed said is kept
        "photos": {"state": "partial", "percent": 40},  # what staff changed is on top
    }
    assert latest.next_update_by == next_by and latest.impact == "critical"
    snap = await svc.snapshot()
    assert snap is not None
    assert snap.text.count("Contacts and photos unavailable") == 1  # one incident, not a jumble of two
    assert "Photos are coming back." in snap.text and "Contacts: partly restored (80%)" in snap.text
    assert "Next update promised by 28 Nov 2026, 15:00 UTC" in snap.text


async def test_after_a_resolved_incident_a_manual_post_starts_a_new_one(db: Database) -> None:
    svc = status_service(db)
    done = recovery_feed([upd("a", 8, "Fixed.", state="resolved", progress=_progress(100, 90))], state="resolved")
    await svc.ingest(parse_feed(done, "recovery"))
    assert await svc.manual_post("d3", title="Email delays", state="investigating", body="Looking into it.")
    [latest] = await svc.latest_updates(1)
    assert latest.incident_key == "manual:d3" and json.loads(latest.progress) == {}
