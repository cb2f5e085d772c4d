"""Discord's per-route buckets, followed from the rate-limit headers of every response.

A bucket lets as many requests go at once as it has left (`X-RateLimit-Remaining`), not one at a time, and
waits for `X-RateLimit-Reset-After` only when it has none left. Until a bucket's first response tells its
size, one request goes alone (as discord.py does). Routes that Discord says share a bucket
(`X-RateLimit-Bucket`) share one here too, per major parameter (channel, guild, webhook).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.pacing.gate import Gate


@dataclass
class Bucket:
    limit: int = 1
    remaining: int = 1  # what we may still send in the server's current window
    reset_at: float = 0.0  # loop time by which the server's current window is surely over
    period: float = 0.0  # the longest Reset-After seen: how long a fresh window lasts
    known: bool = False  # a response has told us the limit
    in_flight: int = 0
    gate: Gate = field(default_factory=Gate)

    def room(self, now: float) -> float | None:
        if not self.known:
            return 0 if self.in_flight == 0 else None  # the probe's response will tell us the size
        if now >= self.reset_at and self.remaining < self.limit - self.in_flight:
            # the window is over: what is still in flight may count in the new one
            self.remaining = self.limit - self.in_flight
            self.reset_at = now + self.period  # provisional, until a response from the new window
        if self.remaining > 0:
            return 0
        return max(0.0, self.reset_at - now) + 1e-6

    def take(self) -> None:
        self.remaining -= 1
        self.in_flight += 1

    def spare(self, now: float) -> int:
        """How many more may go now."""
        if not self.known:
            return 1 if self.in_flight == 0 else 0
        return max(0, self.remaining) if self.room(now) == 0 else 0

    @property
    def hot(self) -> bool:
        """Out of budget or with requests queued: more requests here will wait."""
        return self.gate.waiting > 0 or (self.known and self.remaining <= 0)

    def update(self, now: float, headers: Mapping[str, str], status: int) -> None:
        """Headers of a response to one of this bucket's requests (still counted in flight)."""
        try:
            limit = int(headers["X-RateLimit-Limit"])
            left = int(headers["X-RateLimit-Remaining"])
            reset_after = float(headers["X-RateLimit-Reset-After"])
        except (KeyError, ValueError):
            return
        others = self.in_flight - 1
        reset_at = now + reset_after
        tolerance = 0.05 + 0.1 * reset_after
        self.limit = max(1, limit)
        self.period = max(self.period, reset_after)
        if status == 429:  # the server's own word on when its window ends
            self.remaining = 0
            self.reset_at = reset_at
        elif not self.known or reset_at > self.reset_at + tolerance:  # a newer window than we knew of
            self.remaining = left - others
            self.reset_at = reset_at
        elif reset_at >= self.reset_at - tolerance:  # the same window: never trust a stale, larger count
            self.remaining = min(self.remaining, left - others)
            self.reset_at = max(self.reset_at, reset_at)
        self.known = True

    def idle(self, now: float) -> bool:
        return self.in_flight == 0 and self.gate.waiting == 0 and now >= self.reset_at


class Buckets:
    def __init__(self) -> None:
        self._hash_of: dict[str, str] = {}  # route key ("POST /channels/{channel_id}/messages") -> bucket hash
        self._buckets: dict[str, Bucket] = {}

    def key(self, route_key: str, major: str) -> str:
        return f"{self._hash_of.get(route_key, route_key)}:{major}"

    def get(self, route_key: str, major: str) -> Bucket:
        key = self.key(route_key, major)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_idle()
            bucket = self._buckets[key] = Bucket()
        return bucket

    def learn(self, route_key: str, major: str, bucket: Bucket, bucket_hash: str | None) -> None:
        """A response named the route's bucket: file this bucket under its hash, where routes share it."""
        if not bucket_hash or self._hash_of.get(route_key) == bucket_hash:
            return
        old = self.key(route_key, major)
        self._hash_of[route_key] = bucket_hash
        new = self.key(route_key, major)
        if self._buckets.get(old) is bucket:
            del self._buckets[old]
        self._buckets.setdefault(new, bucket)

    def hot(self, route_key: str, major: str) -> bool:
        bucket = self._buckets.get(self.key(route_key, major))
        return bucket is not None and bucket.hot

    def wait(self, route_key: str, major: str, now: float) -> float:
        bucket = self._buckets.get(self.key(route_key, major))
        if bucket is None or not bucket.known:
            return 0.0
        first = bucket.room(now) or 0.0
        # each window lets `limit` of the queue through
        windows = (bucket.gate.waiting + 1) // max(1, bucket.limit)
        return first + windows * bucket.period if bucket.remaining <= 0 or bucket.gate.waiting else first

    def _forget_idle(self) -> None:
        now = asyncio.get_running_loop().time()
        for k in [k for k, b in self._buckets.items() if b.idle(now)]:
            del self._buckets[k]
