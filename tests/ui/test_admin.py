"""How the staff tools' lists read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def test_tickets_show_priority_waiting_time_and_claim_and_fit_in_one_message() -> None:
    tickets = [TicketView(n, 1000 + n, "asked", "open", "", 555 if n == 1 else None, T) for n in range(1, 200)]
    text = tickets_text(tickets)
    assert text.startswith(f"#1 <@1001> (asked) opened <t:{STAMP}:R> · unclaimed in <#555>\n")
    assert len(text) == MESSAGE
    now = T + timedelta(minutes=75)
    waiting = TicketView(3, 1003, "upset", "open", "", 9, T, priority="high", claimed_by=7, waiting_since=T)
    line = tickets_text([waiting], now=now)
    assert line == (
        f"#3 **HIGH** <@1003> (upset) opened <t:{STAMP}:R> · **waiting 1 h 15 min** · claimed by <@7> in <#9>"
    )
    answered = TicketView(4, 1004, "asked", "open", "", 9, T, waiting_since=T, responded_at=T)
    assert "· answered ·" in tickets_text([answered], now=now)
    closed = TicketView(5, 1005, "asked", "closed", "", 9, T, close_reason="restored from backup")
    assert tickets_text([closed]).endswith("in <#9> · closed: restored from backup")


def test_audit_entries_read_as_sentences_not_python() -> None:
    entries = [AuditView(T, "<@7>", "devices.mark", "<@1001>", {"device_id": "****7518", "note": None})] * 100
    audit = audit_text(entries)
    assert audit.startswith(f"<t:{STAMP}:f> <@7>: devices.mark on <@1001> (device id ****7518)\n")
    assert "{" not in audit and "None" not in audit
    assert len(audit) == MESSAGE
    flags = audit_text([AuditView(T, "command line", "devices.export", None, {"rows": 3, "full": True})])
    assert flags.endswith("command line: devices.export (rows 3, full yes)")
    assert audit_text([]) == "No admin actions yet."
