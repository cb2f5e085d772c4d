from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text.claims import extract, ungrounded

STATUS = (
    "Engineers are restoring contacts and calendars. Next update at 17:00 UTC on 29 November 2026. "
    "About 30% of accounts are restored. Details: https://status.larkspur.com/incidents/42"
)
FAQ = "Nothing about compensation has been decided. Registration takes about 2 minutes. Call 611 from your phone."
CUSTOMER = "Registered devices: IMEI ****1481 (registered 2026-11-20)."
DOMAINS = ["larkspur.com"]


def check(answer: str) -> list[str]:
    return [c.kind for c in ungrounded(answer, [STATUS, FAQ, CUSTOMER], DOMAINS)]


@pytest.mark.parametrize(
    "answer",
    [
        "The next update is at 5 pm UTC on November 29th.",
        "Next update: 17:00, 29/11.",
        "We'll post again at 5:00 PM.",
        "About 30 percent of accounts are back.",
        "See https://status.larkspur.com/incidents/42 for details.",
        "Our help pages are at https://www.larkspur.com/help and support.larkspur.com.",
        "Write to help@larkspur.com.",
        "Registering takes about two minutes.",
        "You registered on 20 Nov.",
        "You registered on the 20th.",
        "Updates come in November.",
        "There is no date yet; we will tell you as soon as we know.",
        "Version 2.1 of the app is fine; dial *#06# to see your IMEI.",
        "We are available 24/7.",
    ],
)
def test_grounded_claims_pass(answer: str) -> None:
    assert check(answer) == [], answer


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("Everything will be back at 18:00 today, for sure.", "time"),
        ("Back by 9 am.", "time"),
        ("You'll get 50 dollars off your next bill.", "money"),
        ("A €20 voucher is on its way.", "money"),
        ("Claim your refund at http://larkspur-refunds.xyz/claim", "link"),
        ("Go to lаrkspur.com/login", "link"),  # Cyrillic а: not the company's domain
        ("Visit larkspur.com.evil.io/verify", "link"),
        ("95% of accounts are restored.", "percent"),
        ("It will take 48 hours.", "duration"),
        ("Expect it back in a couple of days.", "duration"),
        ("The next update is on 30 November.", "date"),
        ("It will be fixed by Friday.", "date"),
        ("Call our hotline on 1-800-555-0199.", "phone"),
        ("Restored by December.", "date"),
        ("We'll be back online in about three hours.", "duration"),
        ("Allow 2-3 business days.", "duration"),
        ("It is fixed on the 15th.", "date"),
        ("Details at bit.ly/3xYz", "link"),
        ("A £15 gift card is yours.", "money"),
    ],
)
def test_invented_claims_are_caught(answer: str, kind: str) -> None:
    assert kind in check(answer), (answer, check(answer))


def test_same_value_different_spelling() -> None:
    assert ungrounded("$50 credit", ["a credit of 50 dollars"]) == []
    assert ungrounded("USD 50", ["$50.00"]) == []
    assert ungrounded("2 days", ["48 hours"]) == []
    assert ungrounded("$60", ["$50"]) != []
    assert ungrounded("€50", ["$50"]) != []


def test_extract_reads_each_claim_once() -> None:
    kinds = sorted(c.kind for c in extract("On 2026-11-29 at 17:00 we refunded $5 (5%) to 3 people in 2 hours."))
    assert kinds == ["date", "duration", "money", "percent", "time"]


def test_ordinary_numbers_are_not_claims() -> None:
    assert extract("Order 12345, version 1.2.3, step 2 of 3, dial *#06#.") == []


@given(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
def test_a_time_grounds_itself_in_either_clock(hour: int, minute: int) -> None:
    h12 = hour % 12 or 12
    ampm = "am" if hour < 12 else "pm"
    twelve = f"{h12}:{minute:02d} {ampm}" if minute else f"{h12} {ampm}"
    assert ungrounded(f"back at {twelve}", [f"update at {hour:02d}:{minute:02d} UTC"]) == []
    other = (hour + 3) % 24
    assert ungrounded(f"back at {other:02d}:{minute:02d}", [f"update at {hour:02d}:{minute:02d} UTC"]) != []


@given(st.integers(1, 5000), st.sampled_from(["$", "€", "£"]))
def test_money_grounds_itself_in_words_and_signs(amount: int, sign: str) -> None:
    word = {"$": "dollars", "€": "euros", "£": "pounds"}[sign]
    assert ungrounded(f"{amount} {word}", [f"a credit of {sign}{amount:,}"]) == []
    assert ungrounded(f"{amount + 1} {word}", [f"a credit of {sign}{amount:,}"]) != []
