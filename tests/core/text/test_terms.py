"""Text -> search terms: stemming, phrases, synonyms, typo correction."""

from __future__ import annotations

from bot.core.text.terms import FuzzyLexicon, analyze, edit_distance, stem


def test_analysis() -> None:
    assert stem("batteries") == stem("battery")
    assert stem("restored") == stem("restore") == stem("restoring")
    assert stem("syncing") == "sync"
    assert stem("news") == "news"
    assert analyze("What's in my Address-Book?") == ["contact"]
    assert analyze("PICTURES, pics & Photos!!") == ["photo", "photo", "photo"]
    assert analyze("Should I do a factory reset on my handset") == ["reset", "phon"]
    assert analyze("the and of is") == []


def test_edit_distance_and_fuzzy() -> None:
    assert edit_distance("contcts", "contacts") == 1
    assert edit_distance("calender", "calendar") == 1
    assert edit_distance("baterry", "battery") == 2
    assert edit_distance("ab", "ba") == 1
    assert edit_distance("kitten", "sitting", limit=5) == 3
    assert edit_distance("abc", "abcdefgh") == 3  # limit + 1
    lex = FuzzyLexicon(["contact", "calendar", "battery", "photo"])
    assert lex.correct("contct") == ("contact", 0.85)
    assert lex.correct("baterry") == ("battery", 0.7)
    assert lex.correct("xhoto") is None  # short words must keep their first letter
    assert lex.correct("zzzzzz") is None
