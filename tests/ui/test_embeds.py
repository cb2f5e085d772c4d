"""Text from outside (feeds, staff forms, customers) rendered safely: escaped, defused, within limits."""

from __future__ import annotations

from bot.ui.embeds import clip, untrusted


def test_untrusted_text_cannot_format_or_ping() -> None:
    shown = untrusted("**Restored** for @everyone, <@123> and <@&9>: _soon_\r\nMore  ", 200)
    assert shown == "\\*\\*Restored\\*\\* for @\u200beveryone, @user and @role: \\_soon\\_\nMore"


def test_untrusted_text_is_capped_after_escaping() -> None:
    shown = untrusted("*" * 50, 10)
    assert len(shown) == 10 and shown.endswith("…")


def test_clip_keeps_what_fits_and_marks_what_was_cut() -> None:
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abcde…"
    assert clip("abc def", 5) == "abc…"  # no dangling space before the ellipsis

