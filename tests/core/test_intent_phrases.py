"""The normalised form rules judge, and phrase matching that tolerates the ways people write."""

from __future__ import annotations

import pytest

from bot.core.intent_phrases import normalize, phrase_regex


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("I'm scared", "i am scared"),
        ("Im scared", "i am scared"),
        ("you\u2019re a bot", "you are a bot"),
        ("I DONT want to live", "i do not want to live"),
        ("can't", "cannot"),
        ("whats the eta", "what is the eta"),
        ("r u there pls", "r you there please"),
        ("its fine, well, we were ill", "its fine, well, we were ill"),  # words of their own stay
    ],
)
def test_contractions_and_chat_spellings_are_written_out(written: str, normal: str) -> None:
    assert normalize(written) == normal


@pytest.mark.parametrize(
    ("phrase", "text", "hit"),
    [
        ("end it all", "i am thinking about ending it all", True),
        ("end it all", "it ends it all", True),
        ("no point in living", "there is no point in living", True),
        ("want to live", "i do not want to live anymore", True),
        ("live", "i am living here", True),
        ("sue", "i am suing you", True),
        ("die", "i am dying", False),  # an irregular form is not guessed
        ("sue", "we sued them", True),
        ("stock", "stocks", True),
        ("stock", "stockholm", False),
        ("pretend you are", "pretend you are my grandma", True),
        ("pretend you are", "pretend yous are", False),  # short and stop words keep their spelling
        ("fuck*", "fucking", True),
    ],
)
def test_phrase_words_take_their_common_endings(phrase: str, text: str, hit: bool) -> None:
    pattern = phrase_regex([normalize(phrase)])
    assert pattern is not None
    assert (pattern.search(normalize(text)) is not None) is hit
