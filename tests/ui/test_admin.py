"""How the staff tools' lists read."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.knowledge import FaqEntry
from bot.core.registry import DeviceView
from bot.core.staff.audit import AuditView
from bot.core.staff.tickets import TicketView
from bot.ui.admin import MESSAGE, audit_text, faq_lines, registrations_text, tickets_text, when

T = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
STAMP = int(T.timestamp())


def device(n: int, *, review: bool = False) -> DeviceView:
    return DeviceView(id=n, customer_id=1000 + n, kind="imei", masked="****7518", needs_review=review, created_at=T)


def test_never_when_there_is_no_time() -> None:
    assert when(None) == "never"
    assert when(T) == f"<t:{STAMP}:R>"


def test_registrations_are_masked_mentions_and_capped_at_25() -> None:
    one = registrations_text([device(1, review=True)])
    assert one == f"• IMEI ****7518 by <@1001>, <t:{STAMP}:f> · **needs review**"
    many = registrations_text([device(n) for n in range(30)]).splitlines()
    assert len(many) == 26 and many[-1] == "…and 5 more"


def test_faq_lines_mark_staff_entries() -> None:
    from_file = FaqEntry("what-happened", "What happened?", "An outage.", source="file")
    from_staff = FaqEntry("is-canada-affected", "Is Canada affected?", "Yes.", source="staff")
    assert faq_lines([from_file, from_staff]) == [
        "`what-happened`: What happened?",
        "`is-canada-affected` (staff): Is Canada affected?",
    ]


def test_tickets_and_audit_fit_in_one_message() -> None:
    tickets = [TicketView(n, 1000 + n, "asked", "open", "", 555 if n == 1 else None, T) for n in range(1, 200)]
    text = tickets_text(tickets)
    assert text.startswith(f"#1 <@1001> (asked) <t:{STAMP}:R> in <#555>\n#2 <@1002> (asked) <t:{STAMP}:R>\n")
    assert len(text) == MESSAGE
    entries = [AuditView(T, "<@7>", "devices.lookup", "<@1001>", {"device_id": "****7518"})] * 100
    audit = audit_text(entries)
    assert audit.startswith(f"<t:{STAMP}:f> <@7>: devices.lookup on <@1001> {{'device_id': '****7518'}}\n")
    assert len(audit) == MESSAGE
    assert audit_text([]) == "No admin actions yet."
