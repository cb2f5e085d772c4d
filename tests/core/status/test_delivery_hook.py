from __future__ import annotations

import json

from sqlalchemy import select

from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.models import StatusUpdate
from bot.core.outbox.notices import StatusPost
from bot.core.outbox.worker import OutboxWorker
from tests.helpers import RecordingSender, outbox_rows, recovery_feed, status_service, upd


def worker(db: Database, sender: RecordingSender) -> OutboxWorker:
    return OutboxWorker(db, sender, hook=status_service(db).delivery_hook, dm_per_second=20)


async def test_an_edit_made_while_the_post_was_queued_is_posted_as_edited(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One, corrected.")]), "recovery"))
    sender = RecordingSender()
    await worker(db, sender).deliver_due()
    assert len(sender.sent) == 1  # the post shows the corrected text: no separate edit needed
    notice = sender.sent[0].notice
    assert isinstance(notice, StatusPost) and notice.update is not None
    assert notice.update.body == "One, corrected." and notice.update.edited
    async with db.sessions() as s:
        row = await s.scalar(select(StatusUpdate))
    assert row is not None and row.message_id == 9001 and row.posted_hash == row.content_hash


async def test_an_edit_made_while_the_post_was_on_its_way_is_queued_as_an_edit(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    w = worker(db, RecordingSender())
    [item] = await w.due(("post",))  # read as "One." ...
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One, corrected.")]), "recovery"))  # ... edited meanwhile
    assert await w.claim(item)
    async with db.transaction() as s:  # ... and Discord accepted the post showing "One."
        await w.hook.sent(s, item, 7777)
    [edit] = await outbox_rows(db, "edit")
    assert edit.message_id == 7777 and json.loads(edit.payload) == {"kind": "status_edit", "key": "recovery:inc1:a"}
    sender = RecordingSender()
    await worker(db, sender).deliver_due()
    assert [(i.route, i.message_id) for i in sender.sent] == [("edit", 7777)]
    assert sender.sent[0].notice.update.body == "One, corrected."  # type: ignore[union-attr]


async def test_a_status_notice_whose_update_is_gone_is_not_sent(db: Database) -> None:
    svc = status_service(db)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    async with db.transaction() as s:
        await s.delete(await s.scalar(select(StatusUpdate)))
    assert await worker(db, RecordingSender()).due(("post",)) == []


async def test_direct_messages_of_a_status_do_not_touch_the_posted_message(db: Database) -> None:
    svc = status_service(db)
    await svc.subscribe(7)
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), "recovery"))
    sender = RecordingSender()
    await worker(db, sender).deliver_due()
    async with db.sessions() as s:
        ids = {u.key: u.message_id for u in await s.scalars(select(StatusUpdate))}
    posts = {i.update_key: i for i in sender.sent if i.route == "post"}
    assert ids == {"recovery:inc1:a": 9001, "recovery:inc1:b": 9002}
    assert set(posts) == set(ids)
