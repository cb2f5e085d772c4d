"""The shipped embedding model loads offline, and the hybrid retrieval uses it."""

from __future__ import annotations

import math
import socket
from pathlib import Path

import numpy as np
import pytest

from bot.core.knowledge import KnowledgeBase
from bot.core.prompts import load_prompts
from bot.core.semantic import HybridRetriever, WordLlamaEmbedder, combine

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture(scope="module")
def embedder() -> WordLlamaEmbedder:
    return WordLlamaEmbedder()


def test_the_model_loads_from_the_package_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    model = WordLlamaEmbedder()
    vectors = model.embed(["is my calendar restored?", "when will my appointments come back"])
    assert vectors.shape == (2, model.dim)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-3  # unit length: a dot product is the cosine


def test_similar_questions_are_closer_than_unrelated_ones(embedder: WordLlamaEmbedder) -> None:
    a, b, c = embedder.embed(["can I switch my phone off", "is it ok to power down the handset", "is my data private"])
    assert float(a @ b) > float(a @ c)


def test_hybrid_finds_a_paraphrase_the_words_alone_miss(embedder: WordLlamaEmbedder) -> None:
    kb = KnowledgeBase.from_files(PROMPTS / "faq.md")
    question = "will you notify me when it's fixed"
    assert HybridRetriever(kb, None).search(question, k=1)[0].key == "when-will-it-be-fixed"
    hybrid = HybridRetriever(kb, embedder).search(question, k=1)
    assert hybrid[0].key == "how-will-i-know-when-my-data-is-restored"
    assert hybrid[0].confident


def test_without_a_model_the_score_is_the_lexical_one() -> None:
    kb = KnowledgeBase.from_files(PROMPTS / "faq.md")
    hits = HybridRetriever(kb, None).search("should I factory reset my phone", k=1)
    assert hits[0].key == "should-i-reset-or-restore-my-phone"
    assert hits[0].confidence == hits[0].lexical
    assert combine(0.7, 0.9, have_semantic=False) == 0.7


def test_staff_edits_reach_the_semantic_index(embedder: WordLlamaEmbedder) -> None:
    kb = KnowledgeBase.from_files(PROMPTS / "faq.md")
    retriever = HybridRetriever(kb, embedder)
    retriever.search("hello", k=1)
    kb.add("Can I bring my phone to a repair shop?", "Please wait until the outage is over.", ["repair", "shop"])
    top = retriever.search("may I take my handset to a repair shop", k=1)[0]
    assert top.key == "can-i-bring-my-phone-to-a-repair-shop"


@pytest.mark.parametrize(
    "text", ["is my calendar restored yet", "¿Cuándo vuelven mis fotos?", "PHOTOS!!!", "a", "contacts contacts"]
)
def test_one_question_is_embedded_as_the_library_embeds_it(embedder: WordLlamaEmbedder, text: str) -> None:
    """The single-text path (no batch padding) gives the library's own vector."""
    assert embedder._single
    one = embedder.embed([text])
    assert one.shape == (1, embedder.dim)
    assert np.allclose(one[0], embedder._model.embed([text], norm=True)[0], atol=1e-5)
    assert np.allclose(embedder.embed([text, "other"])[0], one[0], atol=1e-5)


def test_a_text_with_no_known_token_has_no_direction_and_matches_nothing(embedder: WordLlamaEmbedder) -> None:
    vec = embedder.embed([""])[0]
    assert not np.isnan(vec).any() and not vec.any()
    kb = KnowledgeBase(load_prompts(PROMPTS).faq)
    for match in HybridRetriever(kb, embedder).search("", k=3):
        assert match.semantic == 0.0 and not math.isnan(match.confidence)
