from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge import (
    CONFIDENT,
    FaqEntry,
    KnowledgeBase,
    KnowledgeError,
    load_faq,
    make_entry,
    parse_faq,
    slugify,
)
from bot.core.textsplit import FuzzyLexicon, analyze, edit_distance, stem

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"

SMALL_FAQ = """# Title, ignored
Some intro text, also ignored.

## Is my data lost?
Keywords: lost, gone, deleted

Probably not: it is still on the phone.

## Should I reset my phone?
No. Do not reset it.

## How do I find my IMEI?
Keywords: imei, device id
Dial *#06#.

```
## not a heading inside a code block
```
"""


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_files(PROMPTS / "faq.md")


def top(kb: KnowledgeBase, query: str) -> tuple[str, float]:
    hits = kb.search(query)
    assert hits, query
    return hits[0].entry.key, hits[0].confidence


# ----------------------------------------------------------------------------- parsing


def test_parse_small_faq() -> None:
    entries = parse_faq(SMALL_FAQ)
    assert [e.key for e in entries] == ["is-my-data-lost", "should-i-reset-my-phone", "how-do-i-find-my-imei"]
    lost, reset, imei = entries
    assert lost.keywords == ("lost", "gone", "deleted")
    assert lost.answer == "Probably not: it is still on the phone."
    assert reset.keywords == ()
    assert reset.answer == "No. Do not reset it."
    assert imei.answer.startswith("Dial *#06#.")
    assert "## not a heading" in imei.answer
    assert all(e.source == "file" and len(e.version) == 16 for e in entries)


def test_version_depends_on_content() -> None:
    a = make_entry("Q?", "A.", ["x"])
    assert a.version == make_entry("Q?", "A.", ["x"]).version
    assert a.version != make_entry("Q?", "A!", ["x"]).version
    assert a.version != make_entry("Q?", "A.", ["y"]).version
    assert a.version != make_entry("Q!?", "A.", ["x"]).version


def test_slugify() -> None:
    assert slugify("Can I take the battery out?") == "can-i-take-the-battery-out"
    assert slugify("  Café -- ÉTÉ!! ") == "cafe-ete"
    assert slugify("???").startswith("q-")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("intro\n## Q one?\nanswer\n## Q two?\n\n\n## Q three?\nx\n", 4, "no answer"),
        ("## Q one?\nKeywords: a, b\n\n## Q two?\nx\n", 1, "no answer"),
        ("## Same?\na\n## Other?\nb\n## Same?\nc\n", 5, "appears twice"),
        ("## Same?\na\n## same!\nb\n", 3, "appears twice"),
        ("## \nanswer\n", 1, "no question"),
        ("just text\nno headings\n", 1, "No questions"),
        ("", 1, "No questions"),
    ],
)
def test_parse_errors(text: str, line: int, words: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        parse_faq(text, "faq.md")
    assert info.value.file == "faq.md"
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"faq.md, line {line}: ")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "faq.md"
    path.write_bytes(b"## Q?\nfine\n## Caf\xe9?\nanswer\n")
    with pytest.raises(KnowledgeError) as info:
        load_faq(path)
    assert info.value.line == 3
    assert "UTF-8" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="cannot be read"):
        load_faq(tmp_path / "nope.md")


# ----------------------------------------------------------------------------- analysis


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


# ----------------------------------------------------------------------------- retrieval


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


# ----------------------------------------------------------------------------- runtime edits


def test_staff_entries_and_version() -> None:
    kb = KnowledgeBase(parse_faq(SMALL_FAQ))
    v0 = kb.version
    assert kb.search("how do I recharge my stylus pen") == []
    assert kb.search("stylus pen") == []

    added = kb.add("Where is my stylus pen?", "In the slot at the bottom of the phone.", ["stylus", "pen"])
    assert added.source == "staff" and added.key == "where-is-my-stylus-pen"
    v1 = kb.version
    assert v1 != v0
    hit = kb.search("where's the stylus")[0]
    assert hit.entry.key == "where-is-my-stylus-pen" and hit.confident

    with pytest.raises(KnowledgeError, match="already"):
        kb.add("Where is my stylus pen", "dup")
    with pytest.raises(KnowledgeError, match="no answer"):
        kb.add("Another?", "   ")

    changed = kb.replace("where-is-my-stylus-pen", answer="Under the battery cover.")
    assert changed.answer == "Under the battery cover." and changed.keywords == ("stylus", "pen")
    assert kb.version not in (v0, v1)
    assert kb.get("where-is-my-stylus-pen") == changed

    kb.remove("where-is-my-stylus-pen")
    assert kb.version == v0  # same entries, same version
    assert kb.get("where-is-my-stylus-pen") is None
    with pytest.raises(KnowledgeError, match="no FAQ entry"):
        kb.remove("where-is-my-stylus-pen")
    with pytest.raises(KnowledgeError, match="no FAQ entry"):
        kb.replace("nope", answer="x")


def test_reload_keeps_staff_edits(tmp_path: Path) -> None:
    path = tmp_path / "faq.md"
    path.write_text(SMALL_FAQ, encoding="utf-8")
    kb = KnowledgeBase.from_files(path)
    assert len(kb) == 3
    kb.replace("should-i-reset-my-phone", answer="Never reset it.")
    kb.remove("how-do-i-find-my-imei")
    kb.add("Is there a new app?", "No.")
    v = kb.version

    path.write_text(SMALL_FAQ + "\n## Can I call?\nYes.\n", encoding="utf-8")
    kb.reload()
    assert kb.version != v
    keys = {e.key for e in kb.entries}
    assert keys == {"is-my-data-lost", "should-i-reset-my-phone", "is-there-a-new-app", "can-i-call"}
    assert kb.get("should-i-reset-my-phone") == FaqEntry(
        "should-i-reset-my-phone", "Should I reset my phone?", "Never reset it.", (), "staff"
    )
    assert kb.search("can I call")[0].entry.key == "can-i-call"

    v2 = kb.version
    path.write_text("## Broken?\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="line 1"):
        kb.reload()
    assert kb.version == v2 and len(kb) == 4  # the old entries stay in use

    again = KnowledgeBase(
        entries=parse_faq(SMALL_FAQ),
        staff_entries=kb.staff_entries,
        removed_keys=kb.removed_keys,
    )
    assert {e.key for e in again.entries} == {"is-my-data-lost", "should-i-reset-my-phone", "is-there-a-new-app"}


def test_version_changes_with_file_edit(tmp_path: Path) -> None:
    path = tmp_path / "faq.md"
    path.write_text(SMALL_FAQ, encoding="utf-8")
    kb = KnowledgeBase.from_files(path)
    v = kb.version
    kb.reload()
    assert kb.version == v
    path.write_text(SMALL_FAQ.replace("Dial *#06#.", "Dial *#06# now."), encoding="utf-8")
    kb.reload()
    assert kb.version != v


def test_duplicate_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("## Q?\na\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("## Q?\nb\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"also in a\.md"):
        KnowledgeBase.from_files(tmp_path / "a.md", tmp_path / "b.md")
