"""A switch of format or URL posts nothing old; a poisoned item delays nothing; the corpus goes all the way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.kv import Kv
from bot.core.models import StatusUpdate
from bot.core.outbox.notices import StatusPost
from bot.core.outbox.worker import OutboxWorker
from bot.core.status.ingest import SOURCE_KEY, current_keys, source_of
from bot.ui.notices import render
from tests.helpers import (
    FIXTURES,
    RecordingSender,
    fixture,
    history_rss_from_json,
    outbox_rows,
    recovery_feed,
    status_service,
    upd,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DISCORD = "discordstatus_incidents_2022-02-15.json"
PARSE = "parse_history_2014-01-09.rss"


async def _keys(db: Database) -> list[str]:
    async with db.sessions() as s:
        return sorted(r.key for r in await s.scalars(select(StatusUpdate)))


async def test_json_to_rss_of_the_same_page_posts_nothing_and_edits_nothing(db: Database) -> None:
    svc = status_service(db)
    from_json = parse_feed(fixture(DISCORD), now=NOW)
    await svc.ingest(from_json)
    async with db.transaction() as s:  # the current state was posted as message 4242
        await s.execute(update(StatusUpdate).where(StatusUpdate.posted == "queued").values(message_id=4242))
    before = await outbox_rows(db)
    from_rss = parse_feed(history_rss_from_json(json.loads(fixture(DISCORD))), now=NOW)
    assert from_rss.format == "rss"
    r = await svc.ingest(from_rss)
    assert (r.new, r.edited) == (0, 0)
    assert await outbox_rows(db) == before  # no post, no edit, no DM
    async with db.sessions() as s:
        assert await Kv.get(s, SOURCE_KEY) == source_of(from_rss, None)


async def test_an_upgraded_database_keyed_by_the_old_scheme_posts_nothing_old(db: Database) -> None:
    svc = status_service(db)
    snap = parse_feed(fixture(DISCORD), now=NOW)
    await svc.ingest(snap)
    async with db.transaction() as s:  # as the previous version stored them: format in the key, no source
        for row in await s.scalars(select(StatusUpdate)):
            row.key = f"statuspage:n4njzfn1mqy0:{row.id}"
            row.incident_key = "statuspage:n4njzfn1mqy0"
        await Kv.put(s, SOURCE_KEY, None)
    before = await outbox_rows(db)
    r = await svc.ingest(snap)
    assert (r.new, r.edited) == (0, 0) and await outbox_rows(db) == before
    assert await _keys(db) == sorted(u.key for u in snap.incidents[0].updates)  # the rows took the new keys


async def test_a_new_url_with_a_longer_history_announces_only_what_is_newer(db: Database) -> None:
    svc = status_service(db)
    first = parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery")
    await svc.ingest(first)
    await svc.ingest(
        parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "Three.")]), "recovery")
    )
    posted = [p.update_key for p in await outbox_rows(db, "post")]
    assert posted == ["recovery:inc1:b", "recovery:inc1:c"]
    # the operator points the bot at another URL: it knows updates never seen before, older and newer
    moved = parse_feed(
        recovery_feed([upd("x", 7, "Older, never seen."), upd("c", 10, "Three."), upd("d", 11, "Four.")]), "recovery"
    )
    r = await svc.ingest(moved, extra_kv={"feed.url": "https://status.example/other.json"})
    assert r.new == 2
    assert [p.update_key for p in await outbox_rows(db, "post")] == [*posted, "recovery:inc1:d"]
    async with db.sessions() as s:
        x = await s.scalar(select(StatusUpdate).where(StatusUpdate.key == "recovery:inc1:x"))
    assert x is not None and x.posted == "history"


async def test_the_same_source_still_announces_an_update_it_has_not_seen(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("b", 9, "Two.")]), "recovery"))
    r = await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "Backfilled."), upd("b", 9, "Two.")]), "recovery"))
    assert r.new == 1 and len(await outbox_rows(db, "post")) == 2  # no switch: a late update is news


async def test_a_poisoned_item_delays_nothing_and_staff_are_told_once(db: Database) -> None:
    svc = status_service(db)
    raw = fixture(PARSE).replace(b"Wed, 01 Jan 2014 09:09:00 -0800", b"Wed, 01 Jan 2099 09:09:00 -0800")
    r = await svc.ingest(parse_feed(raw, now=NOW))
    assert r.ok and r.new == 35 and r.skipped == 1  # 38 updates, 3 in the poisoned entry
    assert len([p for p in await outbox_rows(db, "post") if p.update_key]) == 1  # the current state
    again = await svc.ingest(parse_feed(raw, now=NOW + timedelta(minutes=1)))  # the next poll, same bad item
    assert again.ok and again.skipped == 1
    [told] = [row for row in await outbox_rows(db) if row.dedupe_key.startswith("feed-skip:")]
    content = json.loads(told.payload)["content"]
    assert "lzf7mjchpy20" in content and "2099" in content and "left out" in content
    assert (await svc.health()).skipped == 1
    await svc.ingest(parse_feed(fixture(PARSE), now=NOW))  # fixed at the source
    assert (await svc.health()).skipped == 0


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.*") if p.suffix in (".json", ".rss", ".atom")))
async def test_every_capture_is_parsed_ingested_and_posted(db: Database, name: str) -> None:
    svc = status_service(db)
    snap = parse_feed(fixture(name), now=NOW)
    r = await svc.ingest(snap)
    updates = [u for i in snap.incidents for u in i.updates]
    assert r.ok and r.new == len(updates) and r.skipped == 0
    sender = RecordingSender()
    await OutboxWorker(db, sender, hook=svc.delivery_hook, dm_per_second=20).deliver_due()
    posts = [item for item in sender.sent if item.route == "post"]
    # a first run posts the current state only: the latest update of each open incident (or the latest one)
    assert sorted(item.update_key or "" for item in posts) == sorted(current_keys(snap))
    for item in posts:
        assert isinstance(item.notice, StatusPost) and item.notice.update is not None
        embed = render(item.notice, "post")["embed"]
        assert len(embed) <= 6000 and embed.title and len(embed.title) <= 256
        incident = next(i for i in snap.incidents if i.key == item.notice.update.key.split("/")[0])
        assert item.notice.update.state == incident.updates[-1].state == incident.state
    assert (await svc.ingest(snap)).new == 0  # and never twice


async def test_a_manual_post_before_the_feed_does_not_make_its_history_news(db: Database) -> None:
    svc = status_service(db)
    assert await svc.manual_post("d0", title="Sync outage", state="investigating", body="Looking into it.")
    snap = parse_feed(fixture(PARSE), now=NOW)
    await svc.ingest(snap)  # the feed's first poll: still a first run, whatever staff posted
    feed_posts = [p.update_key for p in await outbox_rows(db, "post") if p.update_key != "manual:d0"]
    assert feed_posts == sorted(current_keys(snap))
