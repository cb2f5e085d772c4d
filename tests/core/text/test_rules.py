"""safety.md: Always/Never parsing and the rules' checks."""

from __future__ import annotations

import pytest

from bot.core.errors import KnowledgeError
from bot.core.text.rules import parse_safety

RULES = """# intro, ignored
## Always
- Keep your phone on.
- Do not remove the battery. (when: battery, charge, run flat)
- Do not reset it,
  not even once. (when: reset)

## Never
- (?<!not )\\bremove the battery
- `factory\\s+reset`
"""


def test_parse_rules() -> None:
    rules = parse_safety(RULES)
    assert [r.text for r in rules.always] == [
        "Keep your phone on.",
        "Do not remove the battery.",
        "Do not reset it, not even once.",
    ]
    assert rules.always[1].when == ("battery", "charge", "run flat")
    assert [r.source for r in rules.never] == ["(?<!not )\\bremove the battery", "factory\\s+reset"]


def test_applicable() -> None:
    rules = parse_safety(RULES)
    always = "Keep your phone on."
    assert rules.applicable("hello", "hi") == [always]
    assert rules.applicable("My BATTERIES are low", "") == [always, "Do not remove the battery."]
    assert rules.applicable("how long", "Just charging is fine") == [always]  # charging is not a plural
    assert rules.applicable("", "It will charges") == [always, "Do not remove the battery."]
    assert rules.applicable("can it run   flat?", "") == [always, "Do not remove the battery."]
    assert rules.applicable("batterypack", "") == [always]  # whole words only
    assert rules.applicable("x", "you must not Reset it") == [always, "Do not reset it, not even once."]


def test_violations() -> None:
    rules = parse_safety(RULES)
    assert rules.violations("Please remove the battery now") == ["(?<!not )\\bremove the battery"]
    assert rules.violations("Do not remove the battery") == []
    assert rules.violations("a FACTORY   reset") == ["factory\\s+reset"]
    assert rules.violations("all fine") == []


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("## Always\n- ok\n## Never\n- (unclosed\n", 4, "not a valid regular expression"),
        ("## Always\n- ok\n## Never\n- a*\n", 4, "matches empty text"),
        ("## Always\n- ok\n## Sometimes\n- x\n", 3, "Unknown section"),
        ("## Always\n- ok\nplain text\n## Never\n- x\n", 3, "starting with '- '"),
        ("## Always\n- ok (when: )\n## Never\n- x\n", 2, "lists no words"),
        ("## Always\n- ok\n## Never\n- x\n## Always\n- y\n", 5, "appears twice"),
        ("## Always\n## Never\n- x\n", None, "Always"),
        ("## Always\n- ok\n", None, "Never"),
    ],
)
def test_rule_errors(text: str, line: int | None, words: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        parse_safety(text, "safety.md")
    assert info.value.file == "safety.md"
    assert info.value.line == line
    assert words in str(info.value)


def test_a_short_when_word_ending_in_y_also_matches_its_plural() -> None:
    rules = parse_safety("## Always\n- Never share your code. (when: spy)\n## Never\n- factory reset\n")
    assert rules.applicable("are there spies on my phone?", "") == ["Never share your code."]
    assert rules.applicable("a spy?", "") == ["Never share your code."]


@pytest.mark.parametrize(
    "question",
    ["should I ＲＥＳＥＴ it", "should I r\u0435set it", "should I **reset** it", "should I re\u200bset it", "RESET?"],
)
def test_when_words_are_found_however_they_are_spelled(question: str) -> None:
    """Full-width, a Cyrillic look-alike, markdown and invisible characters: the question still touches "reset"."""
    rules = parse_safety(RULES)
    assert "Do not reset it, not even once." in rules.applicable(question, "")
    assert "Do not reset it, not even once." in rules.applicable("", question)  # in the answer too, remembered
    assert "Do not reset it, not even once." in rules.applicable("", question)
    assert "Do not reset it, not even once." not in rules.applicable("preset", "")
