"""Feed bodies as plain text, and the update that carries one.

Sources send HTML, escaped HTML or text with stray tags; every parser reduces them to clean
plain text here. `make_update` builds a `FeedUpdate` from such text: it hashes the full body
(so an edit anywhere is seen) and stores a clipped copy.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from datetime import datetime
from html.parser import HTMLParser

from bot.core.feeds.models import DataProgress, FeedUpdate, Impact, UpdateState

MAX_TEXT_CHARS = 4000
"""Bodies longer than this are cut (the hash still covers the full text)."""

_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre"})
_SKIP_TAGS = frozenset({"script", "style"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_KNOWN_TAG = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|small|var|code|pre|ul|ol|li|h[1-6]|blockquote)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_text(text: str) -> str:
    """Unescape entities, normalise newlines and Unicode, drop control characters, trim."""
    text = html.unescape(text) if "&" in text else text
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (tolerates unbalanced and nested tags)."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return clean_text("".join(parser.parts))


def plain_to_text(text: str) -> str:
    """Plain text of a body meant to be text, removing only well-known stray HTML tags."""
    if "<" in text:
        text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
        text = _KNOWN_TAG.sub("", text)
    return clean_text(text)


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def content_hash(title: str, state: str, body: str, progress: dict[str, DataProgress]) -> str:
    progress_part = {name: [p.state, p.percent] for name, p in sorted(progress.items())}
    payload = json.dumps([title, state, body, progress_part], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_update(
    *,
    key: str,
    incident_key: str,
    incident_title: str,
    state: UpdateState,
    body: str,
    published_at: datetime,
    edited_at: datetime | None = None,
    progress: dict[str, DataProgress] | None = None,
    next_update_by: datetime | None = None,
    impact: Impact = "unknown",
    url: str | None = None,
) -> FeedUpdate:
    """Build a `FeedUpdate` from normalised text; hashes the full body, stores a clipped copy."""
    progress = progress or {}
    return FeedUpdate(
        key=key,
        incident_key=incident_key,
        incident_title=incident_title,
        state=state,
        body=clip(body),
        published_at=published_at,
        edited_at=edited_at,
        content_hash=content_hash(incident_title, state, body, progress),
        progress=progress,
        next_update_by=next_update_by,
        impact=impact,
        url=url,
    )
