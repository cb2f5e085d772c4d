from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.core.answering import Question
from bot.core.feeds import parse_feed
from bot.core.models import DeviceState, Outbox
from bot.core.services import Services, build_services
from bot.core.stats import Series, compute, hourly, render_chart
from tests.conftest import TEST_KEY
from tests.core.test_status import recovery_feed, upd

ROOT = Path(__file__).resolve().parents[2]
IMEI = "490154203237518"
ALICE, BOB = 1001, 1002


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        knowledge_dir=ROOT / "prompts",
        status_channel_id=11,
        staff_channel_id=22,
    )
    svc = await build_services(settings, device_key=TEST_KEY)
    yield svc
    await svc.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def every_row_naming(services: Services, customer_id: int) -> list[tuple[str, str]]:
    """Every (table, column) in the whole database that still holds this customer's id or device ID."""
    found = []
    async with services.db.engine.connect() as conn:
        tables = [r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        for table in tables:
            cols = [r[1] for r in await conn.execute(text(f'PRAGMA table_info("{table}")'))]
            for c in cols:
                n = await conn.scalar(
                    text(
                        f'SELECT count(*) FROM "{table}" '
                        f'WHERE CAST("{c}" AS TEXT) LIKE :a OR CAST("{c}" AS TEXT) LIKE :b'
                    ),
                    {"a": f"%{customer_id}%", "b": f"%{IMEI[-6:]}%"},
                )
                if n:
                    found.append((table, c))
    return found


async def test_erasure_is_complete_and_leaves_others_alone(services: Services) -> None:
    # alice registers, asks, subscribes, is notified, is handed over and is audited; bob does some of it too
    await services.registry.register(ALICE, IMEI)
    await services.registry.register(BOB, "356938035643809")
    for who in (ALICE, BOB):
        await services.answerer.answer(Question(who, "is my data lost?", 500 + who, "dm"))
        await services.status.subscribe(who)
    await services.answerer.answer(Question(ALICE, "what's the capital of France?", 500 + ALICE, "dm"))
    await services.status.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    await services.status.ingest(
        parse_feed(
            recovery_feed(
                [upd("a", 8, "One."), upd("b", 9, "Two.")],
                devices=[{"device_id": IMEI, "state": "restored", "updated_at": "2026-11-28T09:00:00Z"}],
            ),
            "recovery",
        )
    )
    ticket = await services.handover.open_ticket(ALICE, "asked")
    await services.audit.record(7, "devices.lookup", subject_id=ALICE, device_id=IMEI)

    exported = await services.privacy.export(ALICE)
    assert exported["devices"][0]["device_id"] == IMEI
    assert exported["devices"][0]["recovery"]["state"] == "restored"
    assert exported["subscribed_to_status_dms"] is True
    assert [a["question"] for a in exported["answers"]] == ["is my data lost?", "what's the capital of France?"]
    assert exported["conversations"][0]["messages"][0] == {
        "from": "customer",
        "text": "is my data lost?",
        "at": exported["conversations"][0]["messages"][0]["at"],
    }
    assert {n["kind"] for n in exported["notices"]} == {"status", "device"}
    assert exported["hand_overs"][0]["reason"] == "asked" and ticket.customer_id == ALICE
    assert str(BOB) not in json.dumps(exported)

    assert await every_row_naming(services, ALICE)  # the check can see alice before erasure
    erased = await services.privacy.erase(ALICE)
    assert erased.devices == 1 and erased.subscription == 1 and erased.answers == 2 and erased.tickets == 1
    assert await every_row_naming(services, ALICE) == []
    assert await services.privacy.export(ALICE) == {
        "customer_id": str(ALICE),
        "devices": [],
        "subscribed_to_status_dms": False,
        "conversations": [],
        "answers": [],
        "notices": [],
        "hand_overs": [],
    }
    audit = await services.audit.latest()
    assert audit[0].subject == "erased customer"
    async with services.db.sessions() as s:  # the recovery state of alice's phone went with her
        assert await s.scalar(select(func.count()).select_from(DeviceState)) == 0
    # bob is untouched
    bob = await services.privacy.export(BOB)
    assert len(bob["devices"]) == 1 and bob["subscribed_to_status_dms"] and len(bob["answers"]) == 1


async def test_audit_masks_device_ids(services: Services) -> None:
    await services.audit.record(7, "devices.mark", device_id=IMEI, note=f"customer said {IMEI} twice")
    [entry] = await services.audit.latest(1)
    assert IMEI not in json.dumps(entry.args)
    assert entry.args["device_id"] == "****7518"
    assert entry.actor == "<@7>"


async def test_faq_edits_persist_and_invalidate_cached_answers(services: Services, tmp_path: Path) -> None:
    entry = await services.faq.add(
        9, "Is the outage over in Canada?", "Canada is affected like everywhere.", ["canada"]
    )
    hits = services.knowledge.search("is the outage over in canada")
    assert hits and hits[0].entry.key == entry.key
    await services.conversations.store_cache(["k1"], "old answer", (entry.key,), "v", ALICE)
    await services.faq.edit(9, entry.key, question=None, answer="Canada: same as everywhere else.", keywords=None)
    assert await services.conversations.cached(["k1"]) is None
    await services.faq.remove(9, "will-i-get-compensation")
    assert services.knowledge.get("will-i-get-compensation") is None
    # a restart reads the files again and re-applies the staff edits
    again = await build_services(services.settings, device_key=TEST_KEY)
    try:
        edited = again.knowledge.get(entry.key)
        assert edited is not None and edited.answer == "Canada: same as everywhere else."
        assert again.knowledge.get("will-i-get-compensation") is None
        assert await again.faq.reload() == len(again.knowledge)
        assert again.knowledge.get(entry.key) is not None  # reload keeps staff edits
    finally:
        await again.close()


async def test_broadcast_confirmed_twice_sends_once_and_can_be_cancelled(services: Services) -> None:
    for cid in (1, 2, 3):
        await services.status.subscribe(cid)
    draft = await services.broadcasts.draft(9, "subscribers", "We have news: contacts are back.")
    assert draft.recipients == 3 and draft.status == "draft"
    first = await services.broadcasts.confirm(draft.id)
    second = await services.broadcasts.confirm(draft.id)
    assert first.status == second.status == "sending"
    async with services.db.sessions() as s:
        dms = await s.scalar(select(func.count()).select_from(Outbox).where(Outbox.broadcast_id == draft.id))
    assert dms == 3
    cancelled = await services.broadcasts.cancel(draft.id)
    assert cancelled.status == "cancelled" and cancelled.counts == {"cancelled": 3}
    with pytest.raises(Exception, match="at most"):
        await services.broadcasts.draft(9, "devices", "x" * 4000)
    with pytest.raises(Exception, match="Unknown audience"):
        await services.broadcasts.draft(9, "everyone", "hi")


async def test_broadcast_progress_and_final_report(services: Services) -> None:
    await services.registry.register(5, IMEI)
    b = await services.broadcasts.confirm((await services.broadcasts.draft(9, "devices", "Hello")).id)
    assert b.recipients == 1
    assert await services.broadcasts.progress_tick() == 0  # still pending
    async with services.db.transaction() as s:
        for row in await s.scalars(select(Outbox).where(Outbox.broadcast_id == b.id)):
            row.status = "unreachable"
    assert await services.broadcasts.progress_tick() == 1
    assert await services.broadcasts.progress_tick() == 0
    async with services.db.sessions() as s:
        report = await s.scalar(select(Outbox).where(Outbox.dedupe_key == f"bc-done:{b.id}"))
    assert report is not None and "0 sent, 1 not reachable" in report.payload
    assert (await services.broadcasts.get(b.id)).status == "done"


async def test_stats_and_a_real_chart(services: Services) -> None:
    empty = render_chart(await hourly(services.db))
    w, h = png_size(empty)
    assert w > 300 and h > 200 and len(empty) > 2000
    await services.registry.register(ALICE, IMEI)
    await services.answerer.answer(Question(ALICE, "is my data lost?", 1, "dm"))
    await services.answerer.answer(Question(BOB, "best pizza in town?", 2, "dm"))
    await services.answerer.answer(Question(BOB, "where is the best pizza in town", 2, "dm"))
    await services.answerer.answer(Question(BOB, "I want a human", 2, "dm"))
    await services.conversations.flush()
    s = await compute(services.db)
    assert s.registrations == 1 and s.questions == 4
    assert s.by_source == {"offline": 4}
    assert s.resolved_without_staff == pytest.approx(0.25)
    assert s.gaps and s.gaps[0][1] == 2 and "pizza" in s.gaps[0][0]
    series = await hourly(services.db)
    assert sum(series.questions) == 4 and sum(series.registrations) == 1
    png = render_chart(series)
    w, h = png_size(png)
    assert 600 <= w <= 2000 and 300 <= h <= 1000
    assert png != empty


def test_chart_of_nothing_is_still_a_chart() -> None:
    png = render_chart(Series([], [], [], []))
    w, h = png_size(png)
    assert w > 300 and h > 200


async def test_an_export_includes_a_registration_still_being_written(services: Services) -> None:
    pending = asyncio.create_task(services.registry.register(ALICE, IMEI))
    await asyncio.sleep(0)  # queued for the group-commit writer, not committed yet
    exported = await services.privacy.export(ALICE)
    assert [d["device_id"] for d in exported["devices"]] == [IMEI]
    assert (await pending).created
