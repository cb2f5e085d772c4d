"""Hand-over tickets: recorded before Discord is asked, one open thread per customer, a summary staff can use."""

from __future__ import annotations

from bot.core.answering import Answer
from bot.core.conversations import ConversationStore
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.registry import DeviceRegistry
from bot.core.staff.tickets import HandoverService
from tests.helpers import IMEI

ALICE, BOB, STAFF = 1001, 1002, 7


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
