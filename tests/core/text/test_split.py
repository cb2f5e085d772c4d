"""Answers cut into Discord-sized messages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text.split import split_message


def test_split_short_and_paragraphs() -> None:
    assert split_message("hello") == ["hello"]
    assert split_message("  \n ") == []
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 30 for i in range(20))
    chunks = split_message(text, 500)
    assert all(len(c) <= 500 for c in chunks)
    assert all(c.startswith("Paragraph") for c in chunks)  # cut at paragraph boundaries
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_split_sentences_and_words() -> None:
    text = "This is one sentence here. " * 20
    chunks = split_message(text, 100)
    assert all(len(c) <= 100 and c.endswith(".") for c in chunks)
    words = "x" * 30 + " " + "y" * 30 + " " + "z" * 30 + " " + "w" * 30
    assert split_message(words, 70) == ["x" * 30 + " " + "y" * 30, "z" * 30 + " " + "w" * 30]
    assert split_message("a" * 250, 100) == ["a" * 96, "a" * 96, "a" * 58]


def test_split_code_block() -> None:
    code = "\n".join(f"line {i} = {i * i}" for i in range(100))
    text = f"Intro text.\n\n```py\n{code}\n```\nAfter."
    chunks = split_message(text, 400)
    assert all(len(c) <= 400 for c in chunks)
    assert all(c.count("```") % 2 == 0 for c in chunks)
    assert all(c.startswith("```py\n") for c in chunks[1:-1])
    assert "line 99 = 9801" in "".join(chunks)


def test_split_keeps_small_block_whole() -> None:
    text = "a " * 60 + "\n```\n" + "code\n" * 20 + "```"
    chunks = split_message(text, 150)
    assert chunks == [("a " * 60).strip(), "```\n" + "code\n" * 20 + "```"]


def test_split_rejects_tiny_limit() -> None:
    with pytest.raises(ValueError):
        split_message("x", 10)


def _normal(text: str) -> str:
    return "".join(re.sub(r"```[\w+#.-]*", "", text).split())


paragraph = st.text(alphabet="ab .!?,\n", min_size=1, max_size=300)
code_block = st.builds(
    lambda lang, body: f"```{lang}\n{body}\n```",
    st.sampled_from(["", "py", "json"]),
    st.text(alphabet="xy =\n", max_size=400),
)


@settings(max_examples=300)
@given(st.lists(st.one_of(paragraph, code_block), min_size=1, max_size=8), st.integers(40, 300))
def test_split_properties(parts: list[str], limit: int) -> None:
    text = "\n\n".join(parts)
    chunks = split_message(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert all(c.strip() for c in chunks)
    assert all(c.count("```") % 2 == 0 for c in chunks)
    assert _normal("\n".join(chunks)) == _normal(text)
