"""Status-feed parsers: Statuspage v2 JSON, RSS/Atom, and our recovery JSON -> `FeedSnapshot`.

Pure code: no network, no Discord, no database. Use `parse_feed(body, fmt="auto", ...)`.
"""

from bot.core.feeds.detect import detect_format, parse_feed
from bot.core.feeds.models import (
    MAX_BODY_BYTES,
    DataProgress,
    DeviceState,
    FeedError,
    FeedIncident,
    FeedSnapshot,
    FeedUpdate,
    PageStatus,
)
from bot.core.feeds.text import content_hash

__all__ = [
    "MAX_BODY_BYTES",
    "DataProgress",
    "DeviceState",
    "FeedError",
    "FeedIncident",
    "FeedSnapshot",
    "FeedUpdate",
    "PageStatus",
    "content_hash",
    "detect_format",
    "parse_feed",
]
