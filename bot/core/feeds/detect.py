"""Format detection and the single `parse_feed` entry point."""

from __future__ import annotations

import json
import re
from datetime import datetime

from bot.core.feeds.models import FORMATS, MAX_BODY_BYTES, FeedError, FeedSnapshot, gc_paused
from bot.core.feeds.recovery import looks_like_recovery, parse_recovery
from bot.core.feeds.statuspage import looks_like_statuspage, parse_statuspage
from bot.core.feeds.syndication import parse_syndication
from bot.core.feeds.time import Clock

_WHITESPACE = b" \t\r\n\x0c"
_BOM = b"\xef\xbb\xbf"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_FEED_ROOT = re.compile(rb"<(?:[a-z]+:)?(?:rss|feed|rdf)[\s>]", re.IGNORECASE)
_MAGIC = {b"\x1f\x8b": "gzip-compressed data", b"PK\x03\x04": "a ZIP archive", b"%PDF": "a PDF document"}


def _head(body: bytes) -> bytes:
    head = body[:4096]
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    return head.lstrip(_WHITESPACE)


def _is_html(head: bytes) -> bool:
    lowered = head[:512].lower()
    if lowered.startswith(b"<?xml"):
        end = lowered.find(b"?>")
        lowered = lowered[end + 2 :].lstrip(_WHITESPACE) if end >= 0 else lowered
    while lowered.startswith(b"<!--"):
        end = lowered.find(b"-->")
        lowered = lowered[end + 3 :].lstrip(_WHITESPACE) if end >= 0 else b""
    return lowered.startswith(_HTML_STARTS)


def detect_format(body: bytes, content_type: str | None = None) -> str:
    """`json` or `xml` from the first bytes; FeedError for anything else.

    The content type only adds evidence: markup served as text/html without an rss/feed/rdf root
    element is an HTML page (a fragment like `<div>Service unavailable</div>`).
    """
    head = _head(body)
    if not head:
        raise FeedError("empty body: the status URL returned nothing", "empty")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise FeedError(f"got {what}, not a feed (undecoded response?)", "not_a_feed")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"<":
        if _is_html(head) or (ctype == "text/html" and not _FEED_ROOT.search(head[:2048])):
            raise FeedError("got an HTML page, not a feed (error or login page? check the URL)", "html_page")
        return "xml"
    hint = f" (content type {ctype})" if ctype else ""
    raise FeedError(f"body is neither JSON nor XML{hint}; it starts with {head[:16]!r}", "not_a_feed")


def _decode_json(body: bytes) -> object:
    try:
        with gc_paused(len(body) > 1_000_000):
            return json.loads(body)
    except UnicodeDecodeError as exc:
        raise FeedError(f"JSON body is not valid UTF-8: {exc.reason} at byte {exc.start}", "encoding") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise FeedError(
                f"JSON ends early (truncated download?): {exc.msg} at char {exc.pos}", "truncated"
            ) from None
        raise FeedError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "malformed") from None
    except RecursionError:
        raise FeedError("JSON is nested too deeply", "malformed") from None


def parse_feed(
    body: bytes,
    fmt: str = "auto",
    content_type: str | None = None,
    now: datetime | None = None,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> FeedSnapshot:
    """Parse a status feed body. `fmt` is auto, statuspage, rss, atom or recovery.

    Raises FeedError (and nothing else) with a one-line operator message when the body is not a
    usable feed. `now` bounds timestamps (nothing before 2000 or after now + 2 days).
    """
    if fmt != "auto" and fmt not in FORMATS:
        expected = ", ".join(["auto", *sorted(FORMATS)])
        raise FeedError(f"unknown feed format {fmt!r} (expected {expected})", "unknown_format")
    if not isinstance(body, bytes | bytearray | memoryview):
        raise FeedError(f"feed body must be bytes, got {type(body).__name__}", "not_a_feed")
    if len(body) > max_bytes:
        raise FeedError(f"body is {len(body) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB cap", "too_large")
    body = bytes(body)
    clock = Clock(now)
    try:
        kind = detect_format(body, content_type)
        if kind == "xml":
            if fmt not in ("auto", "rss", "atom"):
                raise FeedError(f"expected a {fmt} JSON document, got XML", "schema")
            return parse_syndication(body, clock)
        if fmt in ("rss", "atom"):
            raise FeedError(f"expected an {fmt} XML feed, got JSON", "schema")
        data = _decode_json(body)
        if fmt == "statuspage" or (fmt == "auto" and looks_like_statuspage(data)):
            return parse_statuspage(data, clock)
        if fmt == "recovery" or (fmt == "auto" and looks_like_recovery(data)):
            return parse_recovery(data, clock)
        keys = ", ".join(sorted(map(str, data))[:8]) if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        raise FeedError(f"JSON is neither a Statuspage nor a recovery feed (top level: {keys})", "schema")
    except FeedError:
        raise
    except RecursionError:
        raise FeedError("feed is nested too deeply", "malformed") from None
    except Exception as exc:  # the contract: callers only ever see FeedError
        raise FeedError(f"unexpected parser failure ({type(exc).__name__}: {exc})", "internal") from exc
