from __future__ import annotations

import pytest

from bot.core.text.judge import RuleSyntaxError, judge, parse_never_rule, violations

RULES = [
    parse_never_rule("phrase: remove|take_out|pull_out|pull|unplug|eject|pop_out battery|sim"),
    parse_never_rule("phrase: take|pop battery|sim out"),
    parse_never_rule("phrase: do|perform|try|run|start factory_reset|factory_data_reset|hard_reset|reset"),
    parse_never_rule("example: Erase all content and settings"),
    parse_never_rule(r"(?<!not )(?<!n't )\bguarantee(?:d|s)?\b"),
    parse_never_rule("`\\bwe\\s+promise\\b`"),
]


@pytest.mark.parametrize(
    "advice",
    [
        "Pull out the SIM and the battery, then wait a minute.",
        "Don't worry, just remove the battery.",
        "**Perform** a *factory data reset* from Settings.",
        "Go to Settings > General and erase all content and settings.",
        "Erasing all of the content and the settings will help.",
        "Try a f\u0430ctory re\u200bset.",  # Cyrillic а, zero-width space
        "Try a ｆａｃｔｏｒｙ ｒｅｓｅｔ.",  # full-width
        "p3rf0rm a factory r3set",  # letters written as digits
        "Take the SIM card out, and take the battery out.",
        "Unplugging the battery helps.",
        "We __guarantee__ it.",
        "We pro\u00admise.",
        "Remove the bat\u200dtery.",
        "REMOVE THE BATTERY NOW",
        "Step 1: *remove* the ~~case and~~ battery.",
    ],
)
def test_unsafe_advice_is_caught_however_spelled(advice: str) -> None:
    assert violations(RULES, advice), advice


@pytest.mark.parametrize(
    "warning",
    [
        "Do not remove the battery or the SIM card.",
        "Please **don't** pull out the battery.",
        "Never take the SIM out.",
        "Please don't do a factory reset: a factory reset would erase the only copy.",
        "If you remove the battery you may lose data.",
        "Keep it charged, without removing the battery.",
        "We can't guarantee a date yet.",
        "We cannot guarantee anything.",
        "Your settings and content are safe on the phone.",
        "Keep your phone switched on and charged.",
        "Your SIM card is fine; the battery is fine too.",
        "My family 👨\u200d👩\u200d👧 photos are safe.",
        "Ваш телефон в порядке.",  # Russian text is not obfuscation
    ],
)
def test_warnings_and_ordinary_text_pass(warning: str) -> None:
    assert violations(RULES, warning) == [], warning


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("r e s e t  y o u r  p h o n e", "spelt out"),
        ("Please r-e-m-o-v-e t-h-e battery", "spelt out"),
        ("We ca\u0578 he\u217cp", "mixing"),  # Armenian ո, Roman numeral ⅼ folded
        ("please rеsеt it", "mixing"),  # Cyrillic е inside a Latin word
    ],
)
def test_text_made_to_hide_words_is_itself_a_violation(text: str, why: str) -> None:
    broken = violations([], text)
    assert broken and why in broken[0], (text, broken)


def test_rules_keep_their_source_for_logs() -> None:
    assert violations(RULES, "remove the battery") == [RULES[0].source]


def test_examples_need_every_content_word_in_one_sentence() -> None:
    rule = parse_never_rule("example: Erase all content and settings")
    assert rule.kind == "example"
    assert not rule.matches(judge("Erase nothing. Your content and settings are safe."))
    assert rule.matches(judge("You could erase, carefully, your content and the settings"))


def test_regex_rules_still_work_and_see_folded_text() -> None:
    rule = parse_never_rule(r"\bwipe\s+it\b")
    assert rule.kind == "regex"
    assert rule.matches(judge("Wipe it."))
    assert rule.matches(judge("**Wipe** it."))
    assert rule.matches(judge("W\u0456pe it."))  # Cyrillic і
    assert not rule.matches(judge("Wiper it."))


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("phrase:", "empty"),
        ("phrase: ,,,", "no words"),
        ("example: the battery", "two words"),
        ("(unclosed", "not a valid regular expression"),
        ("a?", "matches empty text"),
    ],
)
def test_bad_rules_are_explained(item: str, words: str) -> None:
    with pytest.raises(RuleSyntaxError, match=words):
        parse_never_rule(item)


def test_negation_or_description_inside_the_match() -> None:
    rules = [
        parse_never_rule("phrase: do|try|perform reset|factory_reset"),
        parse_never_rule("phrase: reset|wipe|erase phone|everything"),
        parse_never_rule("phrase: reset will|would|should fix|help"),
    ]
    assert violations(rules, "Please do not reset your phone.") == []  # "do ... not ... reset"
    assert violations(rules, "A full reset would erase everything, so please don't.") == []
    assert violations(rules, "A reset would wipe your phone.") == []
    assert violations(rules, "Resetting would help.")  # "would" is part of this rule
    assert violations(rules, "Do a reset.")
