"""Ranking FAQ entries for a question: paraphrases and typos find their entry, unrelated text finds none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge import CONFIDENT, KnowledgeBase, make_entry
from bot.core.retrieval import Index

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_files(PROMPTS / "faq.md")


def top(kb: KnowledgeBase, query: str) -> tuple[str, float]:
    hits = kb.search(query)
    assert hits, query
    return hits[0].entry.key, hits[0].confidence


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("Is my data lost?", "is-my-data-lost"),
        ("are all my pics gone forever", "is-my-data-lost"),
        ("my contcts vanished!!", "is-my-data-lost"),
        ("my calender appointments disappeared", "my-calendar-or-appointments-are-missing-what-do-i-do"),
        ("can i pull the baterry out", "can-i-take-the-battery-out-or-turn-my-phone-off"),
        ("Should I factory reset my sidekick?", "should-i-reset-or-restore-my-phone"),
        ("is it ok to wipe the handset", "should-i-reset-or-restore-my-phone"),
        ("how long until it's working again", "when-will-it-be-fixed"),
        ("ETA for a fix?", "when-will-it-be-fixed"),
        ("where do I find my device id", "how-do-i-find-my-phone-s-imei"),
        ("will I get a refund", "will-i-get-compensation"),
        ("I want to speak to a real person", "can-i-talk-to-a-person"),
        ("my phone is nearly dead, what now", "what-if-my-battery-runs-low"),
        ("I bought a replacement phone", "i-replaced-my-phone-or-got-a-new-one-what-now"),
        ("can I copy my photos to my PC", "can-i-back-up-my-phone-now"),
        ("WHAT HAPPENED", "what-happened"),
    ],
)
def test_paraphrases_are_confident(kb: KnowledgeBase, query: str, key: str) -> None:
    found, confidence = top(kb, query)
    assert found == key
    assert confidence >= CONFIDENT


@pytest.mark.parametrize(
    "query",
    [
        "what's the capital of France",
        "asdfgh",
        "🙂🙂🙂",
        "",
        "   ",
        "how do I bake bread",
        "who won the football game last night",
        "what is the best phone to buy",
        "hi",
        "thanks!",
        "!!!???",
    ],
)
def test_unrelated_is_not_confident(kb: KnowledgeBase, query: str) -> None:
    assert all(h.confidence < CONFIDENT for h in kb.search(query))
    assert all(not h.confident for h in kb.search(query))


def test_search_shape(kb: KnowledgeBase) -> None:
    hits = kb.search("battery", k=5)
    assert 1 < len(hits) <= 5
    assert all(0.0 <= h.confidence <= 1.0 for h in hits)
    assert len({h.entry.key for h in hits}) == len(hits)
    assert kb.search("battery", k=0) == []
    assert kb.search("battery", k=1)[0].entry.key == hits[0].entry.key
    assert KnowledgeBase().search("battery") == []


def test_long_query_is_fine(kb: KnowledgeBase) -> None:
    hits = kb.search("battery " * 5000)
    assert hits[0].entry.key in {"what-if-my-battery-runs-low", "can-i-take-the-battery-out-or-turn-my-phone-off"}


def test_index_ranks_positions_in_its_documents() -> None:
    docs = [
        make_entry("Is my data lost?", "Probably not.", ["lost", "gone"]),
        make_entry("Should I reset my phone?", "No. Do not reset it."),
        make_entry("How do I find my IMEI?", "Dial *#06#.", ["imei"]),
    ]
    index = Index(docs)
    assert index.query_terms("resett") == [("reset", 0.85)]  # a typo is corrected, at a lower weight
    assert index.query_terms("france") == [(None, 0.0)]
    (best,) = index.search("shuold I resett my phone", k=3)
    assert best.doc == 1 and best.confidence >= CONFIDENT
    assert {r.doc for r in index.search("where is my imei, is it gone", k=3)} == {0, 2}
    assert index.search("capital of france", k=3) == []
    assert Index([]).search("reset", k=3) == []
