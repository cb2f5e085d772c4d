"""Feed bodies as plain text, and the content hash that notices an edit anywhere in them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.feeds.models import DataProgress
from bot.core.feeds.text import MAX_TEXT_CHARS, clean_text, clip, content_hash, html_to_text, make_update, plain_to_text


def test_clean_text() -> None:
    assert clean_text("a &amp; b\r\n\r\n\r\n\tc\x07  \n") == "a & b\n\n c"
    assert clean_text("cafe\u0301") == "caf\u00e9"  # NFC
    assert clean_text("   ") == ""


def test_html_to_text() -> None:
    html = "<p>One <b>two</b></p><script>alert(1)</script><style>p{}</style><ul><li>a<li>b</ul>"
    assert html_to_text(html) == "One two\n\na\nb"
    assert html_to_text("<div>unclosed <i>tags") == "unclosed tags"


def test_plain_to_text_removes_only_known_tags() -> None:
    assert plain_to_text("line<br/>next <span>x</span> 3 < 4 <custom>") == "line\nnext x 3 < 4 <custom>"
    assert plain_to_text("no tags &lt;here&gt;") == "no tags <here>"


def test_clip() -> None:
    assert clip("short") == "short"
    assert clip("x" * 10, 5) == "xxxx…"
    assert len(clip("y" * (MAX_TEXT_CHARS + 50))) == MAX_TEXT_CHARS


def test_content_hash_sees_every_part() -> None:
    base = content_hash("Title", "monitoring", "Body", {"photos": DataProgress(state="partial", percent=40)})
    assert base == content_hash("Title", "monitoring", "Body", {"photos": DataProgress(state="partial", percent=40)})
    assert base != content_hash("Title!", "monitoring", "Body", {"photos": DataProgress(state="partial", percent=40)})
    assert base != content_hash("Title", "resolved", "Body", {"photos": DataProgress(state="partial", percent=40)})
    assert base != content_hash("Title", "monitoring", "Body.", {"photos": DataProgress(state="partial", percent=40)})
    assert base != content_hash("Title", "monitoring", "Body", {"photos": DataProgress(state="partial", percent=41)})


def test_make_update_hashes_the_full_body_and_stores_a_clipped_one() -> None:
    body = "z" * (MAX_TEXT_CHARS + 10)
    at = datetime(2025, 7, 16, 12, 0, tzinfo=UTC)
    update = make_update(key="k", incident_key="i", incident_title="T", state="identified", body=body, published_at=at)
    assert update.body == clip(body)
    assert update.content_hash == content_hash("T", "identified", body, {})
    edited = make_update(
        key="k", incident_key="i", incident_title="T", state="identified", body=body + "!", published_at=at
    )
    assert edited.body == update.body and edited.content_hash != update.content_hash
