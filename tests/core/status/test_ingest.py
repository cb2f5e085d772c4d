from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.models import StatusUpdate
from bot.core.status.ingest import current_keys
from tests.helpers import fixture, outbox_rows, recovery_feed, status_service, upd

GITHUB_SUMMARY = fixture("statuspage_github_summary_2022-11-25_active-incident.json")
ATOM_BEFORE = fixture("githubstatus_history_2025-07-14_before-edit.atom")
ATOM_AFTER = fixture("githubstatus_history_2025-07-15_after-edit.atom")


async def test_first_run_posts_only_the_current_state_then_nothing_twice(db: Database) -> None:
    svc = status_service(db)
    snap = parse_feed(GITHUB_SUMMARY, now=datetime(2022, 11, 25, 23, 0, tzinfo=UTC))
    r = await svc.ingest(snap)
    assert r.new == 7
    posts = await outbox_rows(db, "post")
    assert len(posts) == 1  # the latest update of the open incident, not the whole history
    latest = max((u for i in snap.incidents for u in i.updates), key=lambda u: u.published_at)
    assert posts[0].update_key == latest.key
    assert current_keys(snap) == {latest.key}
    again = await status_service(db).ingest(snap)  # a restart: a new service on the same database
    assert (again.new, again.edited, again.notices) == (0, 0, 0)
    assert len(await outbox_rows(db)) == 1


async def test_a_first_run_with_everything_resolved_posts_the_latest_update_only(db: Database) -> None:
    feed = recovery_feed([upd("a", 8, "Broken."), upd("b", 11, "Fixed.", state="resolved")], state="resolved")
    await status_service(db).ingest(parse_feed(feed, "recovery"))
    assert [p.update_key for p in await outbox_rows(db, "post")] == ["recovery:inc1:b"]


async def test_later_updates_are_posted_in_order_once_each(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "Investigating.")]), "recovery"))
    body = recovery_feed([upd("a", 8, "Investigating."), upd("c", 10, "Photos next."), upd("b", 9, "Contacts.")])
    r = await svc.ingest(parse_feed(body, "recovery"))
    assert r.new == 2
    posts = await outbox_rows(db, "post")
    assert [p.update_key for p in posts] == ["recovery:inc1:a", "recovery:inc1:b", "recovery:inc1:c"]
    assert json.loads(posts[1].payload) == {"kind": "status", "key": "recovery:inc1:b"}


async def test_an_update_edited_at_the_source_edits_the_posted_message(db: Database) -> None:
    svc = status_service(db)
    now = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)
    await svc.ingest(parse_feed(ATOM_BEFORE, now=now))
    async with db.transaction() as s:  # pretend every update was posted, as message 5000 + id
        for row in await s.scalars(select(StatusUpdate)):
            row.message_id = 5000 + (row.id or 0)
    r = await svc.ingest(parse_feed(ATOM_AFTER, now=now))
    assert r.edited == 1
    edits = await outbox_rows(db, "edit")
    assert len(edits) == 1
    assert "25724106" in (edits[0].update_key or "")
    assert json.loads(edits[0].payload)["kind"] == "status_edit"
    async with db.sessions() as s:
        row = await s.scalar(select(StatusUpdate).where(col(StatusUpdate.key) == edits[0].update_key))
    assert row is not None and row.edited and edits[0].message_id == row.message_id
    assert (await svc.ingest(parse_feed(ATOM_AFTER, now=now))).edited == 0


async def test_an_edit_before_anything_was_posted_changes_the_row_and_queues_no_edit(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    r = await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One, corrected.")]), "recovery"))
    assert r.edited == 1 and await outbox_rows(db, "edit") == []
    assert [u.body for u in await svc.latest_updates(1)] == ["One, corrected."]


async def test_two_instances_polling_together_queue_each_post_once(database: Database) -> None:
    await status_service(database).ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    body = recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "Three.")])
    snaps = [parse_feed(body, "recovery") for _ in range(4)]
    await asyncio.gather(*(status_service(database).ingest(s) for s in snaps))
    posts = await outbox_rows(database, "post")
    assert sorted(p.dedupe_key for p in posts) == [
        "post:recovery:inc1:a",
        "post:recovery:inc1:b",
        "post:recovery:inc1:c",
    ]
