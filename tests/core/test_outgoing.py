"""The last checks on every answer, and what is remembered of them."""

from __future__ import annotations

from bot.core.outgoing import INTERNAL_ERROR_REPLY, Outgoing
from bot.core.text.scanner import DEVICE_ID_REMOVED, IdScanner

IMEI = "352099001761481"


def outgoing(max_messages: int = 2) -> Outgoing:
    return Outgoing(IdScanner(), max_messages)


def test_other_peoples_ids_are_removed_and_the_customers_own_masked() -> None:
    out = outgoing()
    text = f"Your device {IMEI} is registered."
    assert out.check(text)[0] == f"Your device {DEVICE_ID_REMOVED} is registered."
    assert out.check(text, [IMEI])[0] == "Your device ****1481 is registered."


def test_what_is_remembered_for_one_customer_is_not_shown_to_another() -> None:
    """The same text checked for its owner (ID allowed, masked) and then for someone else (removed)."""
    out = outgoing()
    text = f"Device 35-209900-176148-1 and {IMEI}"
    mine = out.check(text, [IMEI])[0]
    theirs = out.check(text)[0]
    assert "****1481" in mine
    assert "1481" not in theirs and theirs.count(DEVICE_ID_REMOVED) == 2
    assert out.check(text, [IMEI])[0] == mine  # and the owner's version again, from memory


def test_mentions_are_neutralised_and_internal_errors_replaced() -> None:
    out = outgoing()
    assert "@everyone" not in out.check("Hi @everyone and <@123>")[0]
    assert "<@123>" not in out.check("Hi @everyone and <@123>")[0]
    assert out.check("Traceback (most recent call last):\n  File \"x.py\", line 1")[0] == INTERNAL_ERROR_REPLY


def test_long_text_is_split_into_at_most_max_messages() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(6))
    final, parts = outgoing(max_messages=2).check(text)
    assert 1 < len(parts) <= 2
    assert all(len(p) <= 2000 for p in parts)
    assert final.startswith(parts[0][:100])  # the first message is the start of the answer


def test_memory_is_bounded() -> None:
    out = outgoing()
    for i in range(5000):
        out.check(f"answer number {i}")
    assert len(out._done) <= 4096
    assert out.check("answer number 4999")[0] == "answer number 4999"
