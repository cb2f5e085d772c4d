"""Discord-like rate limiting: a per-token global limit and per-route buckets, with Discord's headers."""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BucketSpec:
    name: str
    limit: int
    window: float  # seconds (before scaling)
    major: str | None = None  # the match_info key that splits the bucket (channel_id, guild_id, ...)


# (method, route template relative to the API base) -> bucket; templates are aiohttp's canonical paths.
ROUTE_BUCKETS: dict[tuple[str, str], BucketSpec] = {
    ("POST", "/channels/{channel_id}/messages"): BucketSpec("message-create", 5, 5.0, "channel_id"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): BucketSpec("message-edit", 5, 5.0, "channel_id"),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): BucketSpec("message-delete", 5, 1.0,
                                                                           "channel_id"),
    ("POST", "/channels/{channel_id}/typing"): BucketSpec("typing", 5, 5.0, "channel_id"),
    ("POST", "/channels/{channel_id}/threads"): BucketSpec("thread-create", 10, 10.0, "channel_id"),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): BucketSpec("thread-create", 10, 10.0,
                                                                                 "channel_id"),
    ("PUT", "/channels/{channel_id}/thread-members/{user_id}"): BucketSpec("thread-member", 10, 10.0,
                                                                           "channel_id"),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"): BucketSpec(
        "reaction", 1, 0.25, "channel_id"),
    ("POST", "/users/@me/channels"): BucketSpec("dm-create", 10, 10.0),
    ("PUT", "/applications/{application_id}/commands"): BucketSpec("commands-overwrite", 10, 10.0),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): BucketSpec(
        "guild-commands-overwrite", 10, 10.0, "guild_id"),
    ("POST", "/webhooks/{webhook_id}/{token}"): BucketSpec("webhook", 5, 2.0, "token"),
    ("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}"): BucketSpec("webhook", 5, 2.0, "token"),
    ("DELETE", "/webhooks/{webhook_id}/{token}/messages/{message_id}"): BucketSpec("webhook", 5, 2.0, "token"),
}
DEFAULT_BUCKET = BucketSpec("default", 10, 1.0)
#: Routes that do not count against the global limit (interaction endpoints, as on Discord).
GLOBAL_EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass
class _Window:
    limit: int
    window: float
    reset_at: float = 0.0
    used: int = 0

    def roll(self, now: float) -> None:
        if now >= self.reset_at:
            self.reset_at = now + self.window
            self.used = 0


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False
    bucket: str = ""


@dataclass
class RateLimiter:
    enabled: bool = True
    scale: float = 1.0  # multiplies every bucket window (tests shrink it)
    global_limit: int = 50
    global_window: float = 1.0
    clock: Callable[[], float] = time.monotonic
    buckets: dict[tuple[str, str], _Window] = field(default_factory=dict)
    global_windows: dict[str, _Window] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)  # 429s per bucket name ("global" for global)
    requests: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def bucket_hash(name: str) -> str:
        return hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:32]

    @staticmethod
    def spec_for(method: str, template: str) -> BucketSpec:
        return ROUTE_BUCKETS.get((method, template), DEFAULT_BUCKET)

    def check(self, token: str, method: str, template: str, params: dict[str, str]) -> Decision | None:
        """Account for one request; return its headers, or a 429 decision. None when limits are off."""
        if not self.enabled:
            return None
        now = self.clock()
        wall = time.time()
        spec = self.spec_for(method, template)
        name = spec.name if spec is not DEFAULT_BUCKET else f"default:{method} {template}"
        if spec is DEFAULT_BUCKET:  # unlisted routes: one bucket per resource
            major = "/".join(f"{k}={v}" for k, v in sorted(params.items()))
        else:
            major = params.get(spec.major, "") if spec.major else ""
        key = (name, major)
        bucket_hash = self.bucket_hash(name)
        self.requests[name] += 1
        if not template.startswith(GLOBAL_EXEMPT_PREFIXES):
            g = self.global_windows.setdefault(token, _Window(self.global_limit, self.global_window))
            g.roll(now)
            if g.used >= g.limit:
                retry = _ceil_ms(g.reset_at - now)
                self.hits["global"] += 1
                return Decision(False, {
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": str(math.ceil(retry)),
                    "Via": "1.1 google",
                }, retry, True, "global")
            g.used += 1
        w = self.buckets.get(key)
        if w is None:
            w = self.buckets[key] = _Window(spec.limit, spec.window * self.scale)
        w.roll(now)
        reset_after = _ceil_ms(w.reset_at - now)
        headers = {
            "X-RateLimit-Limit": str(w.limit),
            "X-RateLimit-Bucket": bucket_hash,
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{wall + reset_after:.3f}",
        }
        if w.used >= w.limit:
            self.hits[name] += 1
            headers.update({
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Scope": "user",
                "Retry-After": str(math.ceil(reset_after)),
                "Via": "1.1 google",
            })
            return Decision(False, headers, reset_after, False, name)
        w.used += 1
        headers["X-RateLimit-Remaining"] = str(w.limit - w.used)
        return Decision(True, headers, bucket=name)

    def reset(self) -> None:
        self.buckets.clear()
        self.global_windows.clear()
        self.hits.clear()
        self.requests.clear()


def _ceil_ms(v: float) -> float:
    return max(0.001, math.ceil(v * 1000) / 1000)
