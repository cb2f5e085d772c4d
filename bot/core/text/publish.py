"""The last check on everything the bot publishes: device IDs out of every outgoing payload.

`redact_payload` walks a Discord REST payload (message content, embeds, thread names,
component labels, poll text) and removes every device ID from the text a person will read.
It is installed on the bot's HTTP client (`bot.guard`), under every send, edit and thread
creation, so a path that forgot to redact still cannot publish a number. The asker's own
IDs are only ever shown masked ("****1481"), which is not an ID, so nothing needs an exception.
"""

from __future__ import annotations

from typing import Any

from bot.core.text.scanner import IdScanner

__all__ = ["TEXT_KEYS", "redact_payload"]

# keys whose string values are shown to people (message, embed, thread, components, polls)
TEXT_KEYS = frozenset(
    {"content", "name", "title", "description", "value", "text", "label", "placeholder", "topic", "question", "answer"}
)


def redact_payload(payload: Any, scanner: IdScanner, *, _key: str | None = None) -> tuple[Any, int]:
    """(a copy of payload with IDs removed from shown text, how many strings were changed)."""
    if isinstance(payload, str):
        if _key not in TEXT_KEYS:
            return payload, 0
        cleaned = scanner.redact(payload)
        return cleaned, int(cleaned != payload)
    if isinstance(payload, dict):
        out: dict[Any, Any] = {}
        changed = 0
        for key, value in payload.items():
            out[key], n = redact_payload(value, scanner, _key=key if isinstance(key, str) else None)
            changed += n
        return out, changed
    if isinstance(payload, list):
        items = []
        changed = 0
        for value in payload:
            item, n = redact_payload(value, scanner, _key=_key)
            items.append(item)
            changed += n
        return items, changed
    return payload, 0
