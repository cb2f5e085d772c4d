"""A length cap for answers: one or two messages, cut at a sentence, with an offer to say more.

A model that writes 60,000 characters must not become 31 messages. `cap_answer` keeps at
most `max_chars` characters (ANSWER_MAX_CHARS), cut at the end of a paragraph or sentence,
adds `MORE_OFFER`, and `cap_parts` guarantees at most `max_messages` Discord messages.
"""

from __future__ import annotations

import re

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_MAX_MESSAGES", "MORE_OFFER", "cap_answer", "cap_parts"]

DEFAULT_MAX_CHARS = 1800
DEFAULT_MAX_MESSAGES = 2
DISCORD_LIMIT = 2000
MORE_OFFER = "(That's the short version. Ask me to go on if you'd like more detail.)"
_SENTENCE_END = re.compile(r"(?:[.!?][)\"'’”*_]*)(?=\s)|\n")


def _cut(text: str, budget: int) -> str:
    """The longest prefix of text no longer than budget ending at a paragraph, sentence or word."""
    if len(text) <= budget:
        return text
    window = text[: budget + 1]
    floor = budget // 3
    para = window.rfind("\n\n", floor)
    if para > 0:
        return text[:para].rstrip()
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if floor <= m.end() <= budget]
    if ends:
        return text[: ends[-1]].rstrip()
    space = window.rfind(" ", floor)
    cut = text[: space if space > 0 else budget].rstrip()
    return cut + "…"


def _close_fences(text: str) -> str:
    return text + "\n```" if text.count("```") % 2 else text


def cap_answer(text: str, max_chars: int = DEFAULT_MAX_CHARS, offer: str = MORE_OFFER) -> str:
    """text if it fits in max_chars, else its beginning (cut at a sentence) and the offer to say more."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    body = _close_fences(_cut(text, max(40, max_chars - len(offer) - 8)))
    return f"{body}\n\n{offer}"


def cap_parts(
    parts: list[str], max_messages: int = DEFAULT_MAX_MESSAGES, limit: int = DISCORD_LIMIT, offer: str = MORE_OFFER
) -> list[str]:
    """At most max_messages parts; when more were given, the last one kept is cut and ends with the offer."""
    if len(parts) <= max_messages:
        return parts
    kept = parts[:max_messages]
    last = kept[-1]
    room = limit - len(offer) - 8
    kept[-1] = _close_fences(_cut(last, room)) + "\n\n" + offer
    return kept
