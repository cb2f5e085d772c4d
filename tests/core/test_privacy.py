"""Export and erasure: a customer can take everything stored about them, or have all of it erased."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from bot.core.answering import Question
from bot.core.feeds import parse_feed
from bot.core.models import DeviceState
from bot.core.services import Services
from tests.helpers import IMEI, every_row_naming, recovery_feed, upd

ALICE, BOB = 1001, 1002


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


async def test_an_export_includes_a_registration_still_being_written(services: Services) -> None:
    pending = asyncio.create_task(services.registry.register(ALICE, IMEI))
    await asyncio.sleep(0)  # queued for the group-commit writer, not committed yet
    exported = await services.privacy.export(ALICE)
    assert [d["device_id"] for d in exported["devices"]] == [IMEI]
    assert (await pending).created
