"""Answers composed from data: the live status per data type, the customer's own devices first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.compose import CRISIS_LINE, Progress, StatusFacts, compose, device_answer, status_answer, status_line

STATUS = StatusFacts(
    title="Contacts, calendars and photos unavailable",
    state="monitoring",
    as_of=datetime(2009, 10, 5, 16, 20, tzinfo=UTC),
    body="Contacts and calendars are restored for almost every affected customer.",
    progress=(
        Progress("contacts", "restored", 100),
        Progress("calendar", "partial", 97),
        Progress("photos", "pending"),
    ),
    next_update_by=datetime(2009, 10, 6, 16, 0, tzinfo=UTC),
)


@dataclass
class Device:
    masked: str
    state: str
    progress: dict[str, Any]
    note: str | None = None


@dataclass
class Route:
    intent: str
    topics: tuple[str, ...] = ()
    crisis: bool = False
    text: str = ""


def test_a_status_answer_gives_state_percentage_time_and_next_update() -> None:
    text = status_answer(STATUS, ("calendar",))
    assert "calendar partly restored (97%)" in text
    assert "5 Oct 2009, 16:20 UTC" in text and "6 Oct 2009, 16:00 UTC" in text
    assert "contacts" not in text.lower()  # only what was asked


def test_own_devices_come_first() -> None:
    mine = Device("****0802", "partial", {"calendar": {"state": "restored", "percent": 100}})
    text = status_answer(STATUS, ("calendar",), [mine])
    first, second = text.splitlines()[:2]
    assert first == "Your device ****0802: calendar restored."
    assert "for all customers" in second.lower() and "97%" in second


def test_when_questions_say_no_time_was_announced() -> None:
    assert "No completion time has been announced" in status_answer(STATUS, (), question="how long will it take")
    assert "No completion time" not in status_answer(STATUS, ("calendar",), question="is my calendar restored")


def test_a_device_question_without_devices_says_how_to_register() -> None:
    assert "/device register" in device_answer(STATUS, [])
    text = device_answer(STATUS, [Device("****1481", "pending", {}, "Queued for the next restore batch.")])
    assert text.startswith("Your device ****1481 is waiting for its restore. Queued for the next restore batch.")


def test_status_line_is_one_line() -> None:
    line = status_line(STATUS)
    assert "\n" not in line and line.startswith("Status as of 5 Oct 2009")


def test_small_talk_nonsense_refusal_are_not_unanswered() -> None:
    for intent in ("smalltalk", "nonsense", "refuse", "offtopic", "device_id"):
        draft = compose(Route(intent, text="thanks"), company="Larkspur", status=STATUS)
        assert draft.offer_human is False and draft.escalate is None and draft.faq_keys == ()
    assert compose(Route("unknown"), company="Larkspur", status=STATUS).offer_human is True


def test_distress_hands_over_and_a_risk_to_life_gets_a_crisis_line() -> None:
    upset = compose(Route("distress"), company="Larkspur", status=STATUS)
    assert upset.escalate == "upset" and CRISIS_LINE not in upset.text
    crisis = compose(Route("distress", crisis=True), company="Larkspur", status=STATUS)
    assert crisis.escalate == "crisis" and CRISIS_LINE in crisis.text


def test_an_faq_answer_gets_a_status_line_only_when_it_is_about_a_data_type() -> None:
    plain = compose(Route("faq"), company="L", status=STATUS, faq_key="reset", faq_answer="Do not reset.")
    assert plain.status_line is None
    about = compose(Route("faq", ("calendar",)), company="L", status=STATUS, faq_key="cal", faq_answer="Note it.")
    assert about.status_line is not None and "97%" in about.status_line
