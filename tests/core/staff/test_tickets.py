"""Hand-over tickets: recorded before Discord is asked, one open thread per customer, a summary staff can use."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.core.answering import Answer
from bot.core.conversations import ConversationStore
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.models import Outbox
from bot.core.registry import DeviceRegistry
from bot.core.staff.tickets import HandoverService, erase_tickets
from bot.core.text.wording import minutes
from tests.helpers import IMEI

ALICE, BOB, CAROL, STAFF = 1001, 1002, 1003, 7
STAFF_CHANNEL = 22


def tickets(database: Database, cipher: DeviceCipher) -> HandoverService:
    return HandoverService(database, ConversationStore(database), DeviceRegistry(database, cipher))


async def test_the_summary_tells_staff_why_what_and_which_device_masked(
    database: Database, cipher: DeviceCipher
) -> None:
    service = tickets(database, cipher)
    await service.registry.register(ALICE, IMEI)
    conversations = service.conversations
    conversation = await conversations.open(ALICE, 500, "dm")
    question = f"my phone {IMEI} lost its photos, @everyone help <@{BOB}>"
    await conversations.record(
        customer_id=ALICE,
        conversation_id=conversation,
        question=question,
        answer=Answer("Your photos are being restored.", "offline"),
        faq_version="v",
    )
    await conversations.flush()
    ticket = await service.open_ticket(ALICE, "upset")
    assert ticket.reason == "upset" and ticket.status == "open" and ticket.thread_id is None
    lines = ticket.summary.splitlines()
    assert lines[0] == "Why: the customer seems upset."
    assert lines[1] == "Registered devices: IMEI ****7518."
    assert lines[3].startswith("• Q: my phone ") and "A: Your photos are being restored." in lines[4]
    assert IMEI not in ticket.summary and "@everyone" not in ticket.summary and f"<@{BOB}>" not in ticket.summary
    nobody = await service.open_ticket(BOB, "something odd")
    assert nobody.reason == "asked" and "No registered device." in nobody.summary


async def test_an_opened_hand_over_is_reused_and_a_failed_one_is_not(database: Database, cipher: DeviceCipher) -> None:
    service = tickets(database, cipher)
    failed = await service.open_ticket(ALICE, "asked")
    await service.failed(failed.id, "HTTPException: 403 Forbidden")
    retry = await service.open_ticket(ALICE, "asked")
    assert retry.id != failed.id
    await service.opened(retry.id, thread_id=900)
    again = await service.open_ticket(ALICE, "asked")
    assert (again.id, again.thread_id) == (retry.id, 900)  # the customer is sent to the same thread
    assert [t.id for t in await service.list("failed")] == [failed.id]
    assert [t.id for t in await service.list("open")] == [retry.id]


async def test_closing_is_idempotent_and_unknown_tickets_are_none(database: Database, cipher: DeviceCipher) -> None:
    service = tickets(database, cipher)
    ticket = await service.open_ticket(ALICE, "asked")
    closed = await service.close(ticket.id, STAFF)
    assert closed is not None and closed.status == "closed"
    assert (await service.close(ticket.id, STAFF + 1)) == closed
    assert await service.close(999, STAFF) is None
    assert await service.list("open") == [] and [t.id for t in await service.list(None)] == [ticket.id]


def workflow(database: Database, cipher: DeviceCipher, *, sla: int = 30) -> HandoverService:
    return HandoverService(
        database,
        ConversationStore(database),
        DeviceRegistry(database, cipher),
        staff_channel_id=STAFF_CHANNEL,
        sla_minutes=sla,
    )


async def outbox(database: Database) -> list[Outbox]:
    async with database.sessions() as s:
        return list(await s.scalars(select(Outbox).order_by(col(Outbox.id))))


async def test_numbers_are_never_reused_even_after_an_erasure_deleted_the_newest(
    database: Database, cipher: DeviceCipher
) -> None:
    service = tickets(database, cipher)
    first = await service.open_ticket(ALICE, "asked")
    second = await service.open_ticket(BOB, "asked")
    async with database.transaction() as s:
        await erase_tickets(s, BOB)  # the newest number is gone with its customer
    third = await service.open_ticket(CAROL, "asked")
    assert (first.id, second.id, third.id) == (1, 2, 3)


async def test_a_new_ticket_is_announced_to_staff_with_a_link_and_its_summary(
    database: Database, cipher: DeviceCipher
) -> None:
    service = workflow(database, cipher)
    woken: list[int] = []
    service.on_queued = lambda: woken.append(1)
    upset = await service.open_ticket(ALICE, "upset")
    await service.opened(upset.id, 900, "https://discord.com/channels/1/900")
    await service.opened(upset.id, 900, "https://discord.com/channels/1/900")  # twice: still one notice
    [notice] = await outbox(database)
    payload = json.loads(notice.payload)
    assert (notice.kind, notice.target_id, woken) == ("post", STAFF_CHANNEL, [1])
    assert payload["content"].startswith("**High priority** (the customer seems upset). New ticket #1 from <@1001>")
    assert (
        "https://discord.com/channels/1/900" in payload["content"]
        and "Why: the customer seems upset." in (payload["content"])
    )
    quiet = tickets(database, cipher)  # no staff channel configured: nothing to post
    calm = await quiet.open_ticket(BOB, "asked")
    await quiet.opened(calm.id, 901)
    assert len(await outbox(database)) == 1 and calm.priority == "normal"


async def test_distress_first_then_the_longest_waiting(database: Database, cipher: DeviceCipher) -> None:
    service = workflow(database, cipher)
    calm = await service.open_ticket(ALICE, "asked")
    upset = await service.open_ticket(BOB, "upset")
    later = await service.open_ticket(CAROL, "not_helpful")
    assert [t.id for t in await service.list("open")] == [upset.id, calm.id, later.id]
    assert upset.priority == "high" and calm.priority == "normal"


async def test_claim_assign_and_nothing_to_claim_once_closed(database: Database, cipher: DeviceCipher) -> None:
    service = workflow(database, cipher)
    ticket = await service.open_ticket(ALICE, "asked")
    claimed = await service.claim(ticket.id, STAFF)
    assert claimed is not None and claimed[0].claimed_by == STAFF and claimed[1] is None
    second = await service.claim(ticket.id, STAFF + 1)  # someone else's: a claim does not take it
    assert second is not None and second[0].claimed_by == STAFF
    reassigned = await service.claim(ticket.id, STAFF + 1, take_over=True)  # an assignment does
    assert reassigned is not None and reassigned[0].claimed_by == STAFF + 1 and reassigned[1] == STAFF
    await service.close(ticket.id, STAFF)
    assert await service.claim(ticket.id, STAFF) is None and await service.claim(999, STAFF) is None


async def test_closing_tells_the_customer_why_and_they_can_reopen(database: Database, cipher: DeviceCipher) -> None:
    service = workflow(database, cipher)
    ticket = await service.open_ticket(ALICE, "asked")
    await service.opened(ticket.id, 900)
    closed = await service.close(ticket.id, STAFF, f"Restored <@{BOB}> from backup for {IMEI}")
    assert closed is not None and closed.close_reason is not None
    assert IMEI not in closed.close_reason and f"<@{BOB}>" not in closed.close_reason
    dm = (await outbox(database))[-1]
    assert (dm.kind, dm.target_id, dm.customer_id) == ("dm", ALICE, ALICE)
    assert json.loads(dm.payload) == {"kind": "ticket_closed", "ticket": ticket.id, "reason": closed.close_reason}
    assert await service.reopen(ticket.id, BOB) is None  # not bob's
    reopened = await service.reopen(ticket.id, ALICE)
    assert reopened is not None and reopened.status == "open" and reopened.close_reason is None
    assert "reopened by <@1001>" in json.loads((await outbox(database))[-1].payload)["content"]
    await service.close(ticket.id, STAFF, "done")  # closing again tells the customer again
    assert [r.kind for r in await outbox(database)] == ["post", "dm", "post", "dm"]
    newer = await service.open_ticket(ALICE, "asked")
    await service.opened(newer.id, 901)
    sent_there = await service.reopen(ticket.id, ALICE)  # a newer conversation is open: that one, not two
    assert sent_there is not None and sent_there.id == newer.id
    assert (await service.get(ticket.id)).status == "closed"  # type: ignore[union-attr]


async def test_the_transcript_is_kept_redacted_and_a_staff_reply_stops_the_clock(
    database: Database, cipher: DeviceCipher
) -> None:
    service = workflow(database, cipher)
    ticket = await service.open_ticket(ALICE, "asked")
    await service.opened(ticket.id, 900)
    assert await service.record_message(900, ALICE, staff=False, content=f"my phone is {IMEI}")
    assert not await service.record_message(901, ALICE, staff=False, content="not a hand-over thread")
    assert (await service.get(ticket.id)).responded_at is None  # type: ignore[union-attr]
    assert await service.record_message(900, STAFF, staff=True, content="Looking into it now.")
    lines = await service.transcript(ticket.id)
    assert [(m.role, m.author_id) for m in lines] == [("customer", ALICE), ("staff", STAFF)]
    assert lines[0].content == "my phone is [device ID removed]"
    assert (await service.get(ticket.id)).responded_at is not None  # type: ignore[union-attr]
    async with database.transaction() as s:
        await erase_tickets(s, ALICE)
    assert await service.transcript(ticket.id) == [] and await service.get(ticket.id) is None


async def test_staff_are_reminded_once_per_step_while_nobody_replies(database: Database, cipher: DeviceCipher) -> None:
    service = workflow(database, cipher, sla=30)
    waiting = await service.open_ticket(ALICE, "upset")
    await service.opened(waiting.id, 900)
    answered = await service.open_ticket(BOB, "asked")
    await service.opened(answered.id, 901)
    await service.record_message(901, STAFF, staff=True, content="Hi!")
    start = (await service.get(waiting.id)).waiting_since  # type: ignore[union-attr]
    assert start is not None
    assert await service.sla_tick(start + timedelta(minutes=29)) == 0
    assert await service.sla_tick(start + timedelta(minutes=31)) == 1
    assert await service.sla_tick(start + timedelta(minutes=45)) == 0  # the same step: no second reminder
    assert await service.sla_tick(start + timedelta(minutes=61)) == 1
    assert await service.sla_tick(start + timedelta(hours=5)) == 1  # the last step
    assert await service.sla_tick(start + timedelta(hours=9)) == 0
    reminders = [json.loads(r.payload)["content"] for r in await outbox(database) if "waited" in r.payload]
    assert reminders[0].startswith("**High priority** Ticket #1 has waited 31 min for a reply (SLA 30 min;")
    assert "nobody has claimed it" in reminders[0] and "5 h 00 min" in reminders[2]
    assert not [r for r in reminders if "#2" in r]
    off = workflow(database, cipher, sla=0)
    assert await off.sla_tick(start + timedelta(days=1)) == 0


def test_waiting_times_read_naturally() -> None:
    assert [minutes(timedelta(minutes=m)) for m in (0, 59, 60, 125, 60 * 24 + 61)] == [
        "0 min",
        "59 min",
        "1 h 00 min",
        "2 h 05 min",
        "1 d 1 h",
    ]


async def test_two_people_pressing_claim_at_once_one_gets_it(database: Database, cipher: DeviceCipher) -> None:
    service = workflow(database, cipher)
    ticket = await service.open_ticket(ALICE, "asked")
    results = await asyncio.gather(*(service.claim(ticket.id, who) for who in (STAFF, STAFF + 1)))
    holders = {r[0].claimed_by for r in results if r is not None}
    assert len(holders) == 1 and (await service.get(ticket.id)).claimed_by in holders  # type: ignore[union-attr]


async def test_closing_twice_even_at_once_tells_the_customer_once(database: Database, cipher: DeviceCipher) -> None:
    service = workflow(database, cipher)
    ticket = await service.open_ticket(ALICE, "asked")
    await service.opened(ticket.id, 900)
    closed = await asyncio.gather(service.close(ticket.id, STAFF, "a"), service.close(ticket.id, STAFF + 1, "b"))
    assert {c.status for c in closed if c is not None} == {"closed"}
    assert [r.kind for r in await outbox(database)] == ["post", "dm"]
