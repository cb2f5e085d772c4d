"""Cutting an answer into Discord-sized messages.

`split_message` cuts at paragraph, line, sentence, then word boundaries and closes/reopens
``` code fences it has to cut through.
"""

from __future__ import annotations

import re

__all__ = ["split_message"]

_FENCE = re.compile(r"```")
_LANG = re.compile(r"[\w+#.-]{1,20}(?=\n)")
_CLOSE = "\n```"
_FENCE_TAG = re.compile(r"```[\w+#.-]*")


def _open_fence(text: str) -> str | None:
    """The opening fence (e.g. '```py') of a code block left open at the end of text, or None."""
    header: str | None = None
    for m in _FENCE.finditer(text):
        if header is None:
            lang = _LANG.match(text, m.end())
            header = "```" + (lang.group(0) if lang else "")
        else:
            header = None
    return header


def _cut_point(body: str, window: int, start: int) -> tuple[int, int]:
    """(end of this chunk, start of the rest) for body longer than window."""
    floor = max(start + 1, window // 3)
    opened: int | None = None
    closes_at: int | None = None
    for m in _FENCE.finditer(body):
        if m.start() >= window:
            closes_at = m.end() if opened is not None else None
            break
        opened = m.start() if opened is None else None
    if opened is not None and opened > start and closes_at is not None and closes_at - opened <= window:
        return opened, opened  # the block would fit in the next chunk: keep it whole
    for sep in ("\n\n", "\n"):
        i = body.rfind(sep, floor, window + len(sep) - 1)
        if i > start:
            return i, i + len(sep)
    sentence = None
    for m in re.finditer(r"[.!?][)\"']?( )", body[floor:window]):
        sentence = floor + m.start(1)
    if sentence is not None:
        return sentence, sentence + 1
    i = window
    while i > start and not (body[i - 1] == " " and body[i] != "`"):
        i -= 1
    if i > start + 1:
        return i - 1, i
    i = window
    while i > start + 1 and "`" in (body[i - 1], body[i]):
        i -= 1
    if i <= start + 1:
        i = window
    return i, i


def split_message(text: str, limit: int = 2000) -> list[str]:
    """Split text into chunks of at most `limit` characters without losing anything but
    whitespace at the cuts; a cut inside a ``` block closes it and reopens it (same language)."""
    if limit < 40:
        raise ValueError("limit must be at least 40")
    chunks: list[str] = []
    body = text.strip()
    reopen = ""
    while body:
        if len(body) <= limit:
            chunks.append(body)
            break
        end, nxt = _cut_point(body, limit - len(_CLOSE), len(reopen))
        chunk, rest = body[:end].rstrip(), body[nxt:]
        header = _open_fence(chunk)
        if header is not None:
            chunk += _CLOSE
            closing = re.match(r"[ \t]*\n?[ \t]*```[ \t]*(?:\n|$)", rest)
            if closing:  # the block ends right here: do not reopen an empty block
                rest, reopen = rest[closing.end() :], ""
            else:
                reopen = (header if len(header) < limit // 4 else "```") + "\n"
                rest = reopen + rest.lstrip("\n")
        else:
            reopen = ""
            rest = rest.lstrip("\n")
        if _FENCE_TAG.sub("", chunk).strip():
            chunks.append(chunk)
        body = rest if rest.strip() else ""
        if reopen and body.strip() == reopen.strip():
            break
    return chunks
