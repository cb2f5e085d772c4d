"""The last checks every answer gets before it leaves the bot, whatever wrote it.

Device IDs are redacted (the customer's own shown masked), mentions neutralised, anything that reads like
an internal error replaced, and the text split into Discord messages. Each step depends only on the text
(and the IDs allowed in it), and an incident day sends the same few answers thousands of times, so the
result for a text is remembered: a repeat costs a dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.text.length import cap_parts
from bot.core.text.mentions import neutralize_mentions
from bot.core.text.output import looks_like_internal_error
from bot.core.text.scanner import IdScanner
from bot.core.text.split import split_message

__all__ = ["INTERNAL_ERROR_REPLY", "Outgoing"]

INTERNAL_ERROR_REPLY = "Sorry, something went wrong on our side. Please ask again in a moment."
_REMEMBERED = 4096


class Outgoing:
    def __init__(self, scanner: IdScanner, max_messages: int) -> None:
        self.scanner = scanner
        self.max_messages = max_messages
        self._done: dict[tuple[str, frozenset[str]], tuple[str, tuple[str, ...]]] = {}

    def check(self, text: str, allowed_ids: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
        """(the text as it may be sent, its Discord messages)."""
        key = (text, frozenset(allowed_ids))
        done = self._done.get(key)
        if done is None:
            final = neutralize_mentions(self.scanner.redact(text, allowed=key[1]))
            if looks_like_internal_error(final):
                final = INTERNAL_ERROR_REPLY
            done = (final, self.parts(final))
            if len(self._done) >= _REMEMBERED:
                self._done.clear()
            self._done[key] = done
        return done

    def parts(self, text: str) -> tuple[str, ...]:
        """Discord messages for a text: never more than max_messages, the last one offering more."""
        return tuple(cap_parts(split_message(text), self.max_messages))
