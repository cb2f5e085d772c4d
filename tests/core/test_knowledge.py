"""The FAQ: entries, the faq.md parser, and the knowledge base's run-time edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import KnowledgeError
from bot.core.knowledge import FaqEntry, KnowledgeBase, load_faq, make_entry, parse_faq, slugify

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
