"""Mentions in text the bot sends: made harmless so an answer can never ping anyone."""

from __future__ import annotations

import re

__all__ = ["neutralize_mentions"]

_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_AT = "@\uff20\ufe6b"  # @, fullwidth @, small @
_MASS_MENTION = re.compile(rf"[{_AT}][{_INVISIBLE}\s]*(everyone|here)\b", re.IGNORECASE)
_USER_MENTION = re.compile(r"<@!?\d+>")
_ROLE_MENTION = re.compile(r"<@&\d+>")


def neutralize_mentions(text: str) -> str:
    """Make mentions harmless (defence in depth: also send with allowed_mentions=none).

    @everyone/@here in any case, fullwidth or with invisible characters become
    "@\\u200beveryone"/"@\\u200bhere"; <@123>, <@!123> become "@user"; <@&123> "@role".
    Channel mentions (<#123>) do not ping and are left as they are.
    """
    text = _MASS_MENTION.sub(lambda m: "@\u200b" + m.group(1), text)
    text = _USER_MENTION.sub("@user", text)
    return _ROLE_MENTION.sub("@role", text)
