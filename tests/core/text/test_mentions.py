"""Mentions are made harmless in everything the bot sends."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text.mentions import neutralize_mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi @everyone", "hi @\u200beveryone"),
        ("@here now", "@\u200bhere now"),
        ("@EVERYONE", "@\u200bEVERYONE"),
        ("\uff20everyone", "@\u200beveryone"),  # fullwidth @
        ("\ufe6bhere", "@\u200bhere"),
        ("@\u200beveryone", "@\u200beveryone"),  # already harmless stays the same
        ("@\u2060\u200d everyone", "@\u200beveryone"),
        ("ping <@123456> and <@!42>", "ping @user and @user"),
        ("role <@&999>", "role @role"),
        ("channel <#123> stays", "channel <#123> stays"),
        ("mail me at bob@here.com", "mail me at bob@\u200bhere.com"),  # harmless either way
        ("@hereford", "@hereford"),
        ("nothing to see", "nothing to see"),
    ],
)
def test_neutralize_mentions(text: str, expected: str) -> None:
    out = neutralize_mentions(text)
    assert out == expected
    assert not re.search(r"@(everyone|here)\b", out, re.IGNORECASE)
    assert not re.search(r"<@[!&]?\d+>", out)


@given(st.text(alphabet="@\uff20\u200b <>!&#0123everyonhr", max_size=40))
def test_neutralized_text_never_pings(text: str) -> None:
    out = neutralize_mentions(text)
    assert not re.search(r"@(everyone|here)(?![a-z])", out, re.IGNORECASE)
    assert not re.search(r"<@[!&]?\d+>", out)
    assert neutralize_mentions(out) == out
