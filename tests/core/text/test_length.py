from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.text.length import MORE_OFFER, cap_answer, cap_parts

SENTENCE = "Your contacts are safe on the phone and we are restoring the copy on our servers. "


def test_short_answers_are_left_alone() -> None:
    assert cap_answer("  Hello.  ") == "Hello."


def test_long_answer_is_cut_at_a_sentence_with_an_offer() -> None:
    text = SENTENCE * 800  # about 66,000 characters
    capped = cap_answer(text, 1800)
    assert len(capped) <= 1800
    assert capped.endswith(MORE_OFFER)
    body = capped[: -len(MORE_OFFER)].rstrip()
    assert body.endswith("servers.")


def test_paragraph_boundary_preferred() -> None:
    text = ("First paragraph sentence. " * 30).strip() + "\n\n" + "Second paragraph. " * 200
    capped = cap_answer(text, 1000)
    assert "Second" not in capped


def test_unbroken_text_is_cut_at_a_word() -> None:
    capped = cap_answer("word " * 1000, 500)
    assert len(capped) <= 500 and "…" in capped


def test_code_fence_is_closed() -> None:
    text = "Steps:\n```\n" + "line of code\n" * 400 + "```"
    capped = cap_answer(text, 600)
    assert capped.count("```") % 2 == 0


def test_at_most_two_messages() -> None:
    parts = [f"Part {i}. " + SENTENCE * 20 for i in range(31)]
    capped = cap_parts(parts, 2)
    assert len(capped) == 2
    assert capped[-1].endswith(MORE_OFFER)
    assert all(len(p) <= 2000 for p in capped)
    assert cap_parts(parts[:2]) == parts[:2]


@given(st.text(min_size=0, max_size=5000), st.integers(200, 3000))
def test_cap_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(cap_answer(text, limit)) <= limit
