"""Text that states the opposite of the live status is caught."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.compose import Progress, StatusFacts
from bot.core.contradict import contradictions, overall_contradiction

STATUS = StatusFacts(
    title="t",
    state="monitoring",
    as_of=datetime(2009, 10, 5, tzinfo=UTC),
    progress=(
        Progress("contacts", "restored", 100),
        Progress("photos", "in_progress", 55),
        Progress("notes", "pending"),
    ),
)


def test_a_restored_type_said_to_be_missing_is_a_contradiction() -> None:
    assert contradictions("Your contacts are still being investigated.", STATUS) == [
        "Your contacts are still being investigated"
    ]
    assert contradictions("Contacts have not been restored yet.", STATUS)


def test_an_unfinished_type_said_to_be_restored_is_a_contradiction() -> None:
    assert contradictions("Good news: your photos have been restored!", STATUS)
    assert contradictions("Notes are back.", STATUS)


def test_agreeing_text_passes() -> None:
    assert contradictions("Contacts have been restored. Photos are being restored now (55%).", STATUS) == []
    assert contradictions("Photos are not restored yet.", STATUS) == []
    assert contradictions("Keep your phone charged.", STATUS) == []
    assert contradictions("Photos have been restored.", None) == []


def test_aliases_name_a_type() -> None:
    assert contradictions("Your pictures have been restored.", STATUS, {"photos": ("pictures",)})


def test_faq_prose_overtaken_by_the_status() -> None:
    text = "Whether the online copy can be recovered is still being investigated."
    assert overall_contradiction(text, STATUS)
    early = StatusFacts(title="t", state="investigating", as_of=STATUS.as_of, progress=(Progress("photos", "pending"),))
    assert not overall_contradiction(text, early)


def test_a_promise_about_the_future_states_nothing() -> None:
    assert contradictions("We will tell you when your photos are restored.", STATUS) == []
    assert contradictions("Once notes are back, they sync on their own.", STATUS) == []
