"""Routing and drafting kept in step with the FAQ and the live status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.compose import Progress, StatusFacts
from bot.core.knowledge import KnowledgeBase
from bot.core.understanding import Understanding, intents_for

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
STATUS = StatusFacts(
    title="t",
    state="monitoring",
    as_of=datetime(2009, 10, 5, 16, 20, tzinfo=UTC),
    progress=(Progress("contacts", "restored", 100), Progress("notebooks", "partial", 85)),
)


def make(kb: KnowledgeBase) -> Understanding:
    return Understanding(kb, intents_for(PROMPTS), None, "Larkspur")


def test_an_faq_entry_overtaken_by_the_status_is_not_quoted() -> None:
    kb = KnowledgeBase.from_files(PROMPTS / "faq.md")
    u = make(kb)
    entry = kb.get("is-my-data-lost")
    assert entry is not None and "still being investigated" in entry.answer
    assert not u.applies(entry, STATUS)
    route = u.route("whats up with the data lost thing, is it lost", device_id_found=False, status=STATUS)
    draft = u.draft(route, STATUS)
    assert "still being investigated" not in draft.text and draft.faq_keys == ()


def test_new_data_types_in_the_status_are_routed() -> None:
    u = make(KnowledgeBase.from_files(PROMPTS / "faq.md"))
    assert u.route("are my notebooks back?", device_id_found=False, status=None).topics == ()
    route = u.route("are my notebooks back?", device_id_found=False, status=STATUS)
    assert (route.intent, route.topics) == ("status", ("notebooks",))


def test_staff_edits_reach_the_router() -> None:
    kb = KnowledgeBase.from_files(PROMPTS / "faq.md")
    u = make(kb)
    assert u.route("zorblax", device_id_found=False, status=STATUS).intent == "nonsense"
    kb.add("What is Zorblax?", "Zorblax is our new sync app. Do not install it during the outage.", ["zorblax"])
    route = u.route("zorblax", device_id_found=False, status=STATUS)
    assert (route.intent, route.faq_key) == ("faq", "what-is-zorblax")


def test_intents_fall_back_to_the_shipped_file(tmp_path: Path) -> None:
    assert intents_for(tmp_path).get("human") == intents_for(PROMPTS).get("human")


def test_a_states_line_limits_an_entry_to_those_incident_states(tmp_path: Path) -> None:
    from bot.core.knowledge import parse_faq

    entries = parse_faq(
        "## Is it being looked at?\nStates: investigating, identified\nKeywords: looked at\n\n"
        "Yes, engineers are on it.\n"
        "## Can I charge my phone?\nKeywords: charge\n\nYes, keep it charged.\n"
    )
    assert entries[0].states == ("investigating", "identified") and entries[0].keywords == ("looked at",)
    kb = KnowledgeBase(entries)
    u = make(kb)
    assert not u.applies(entries[0], STATUS)  # the live incident is "monitoring"
    early = StatusFacts(title="t", state="investigating", as_of=STATUS.as_of, progress=STATUS.progress)
    assert u.applies(entries[0], early)
    assert u.applies(entries[1], STATUS)


def test_an_unknown_state_is_reported_with_its_line() -> None:
    from bot.core.errors import KnowledgeError
    from bot.core.knowledge import parse_faq

    with pytest.raises(KnowledgeError, match=r"line 3.*Unknown state 'fixed'"):
        parse_faq("# FAQ\n\n## Is it fixed?\nStates: fixed\n\nNot yet.\n")


def test_a_plausible_but_unsure_match_is_offered_as_a_guess_with_a_person() -> None:
    """Between FAQ_PLAUSIBLE and FAQ_CONFIDENT the top entry is quoted, said to be a guess, and a person
    offered; below it the bot says it does not know."""
    from bot.core.router import FAQ_CONFIDENT, FAQ_PLAUSIBLE, Route

    kb = KnowledgeBase.from_files(PROMPTS / "faq.md")
    u = make(kb)
    key = "can-i-take-the-battery-out-or-turn-my-phone-off"
    entry = kb.get(key)
    assert entry is not None
    guess = u.draft(Route("unknown", (FAQ_PLAUSIBLE + FAQ_CONFIDENT) / 2, "x", faq_key=key), STATUS)
    assert guess.faq_keys == (key,) and guess.offer_human and guess.escalate is None
    assert entry.answer in guess.text and "not completely sure" in guess.text
    assert entry.question not in guess.text  # "Can I take the battery out?" would read as advice
    unsure = u.draft(Route("unknown", FAQ_PLAUSIBLE - 0.01, "x", faq_key=key), STATUS)
    assert unsure.faq_keys == () and unsure.offer_human and entry.answer not in unsure.text
