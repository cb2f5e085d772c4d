"""The incident-day surge: when to switch to it, and the one public post that answers identical questions.

On the first morning of an outage, a thousand customers ask the same few questions in the support channel
within a minute. Discord lets a bot open about one thread per second in one channel, so one thread per
question makes the last customer wait many minutes. In a surge the bot answers each distinct question once,
in public ("What we know", one message edited in place), and keeps threads for what only a thread can do.

This module decides and renders; the transport (bot/exts/surge.py) measures the pacing and talks to Discord.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

MESSAGE_LIMIT = 2000
DIGEST_TITLE = "**What we know** (the questions asked most right now, kept up to date)"
DIGEST_FOOTER = (
    "Your question is not here, or you want the details? Use `/ask` to get an answer privately, without "
    "waiting in line. Please do not post device IDs here."
)
ENTRY_CHARS = 260  # the first sentences of each answer: the post holds more questions


@dataclass
class SurgeDetector:
    """In a surge while requests queue for Discord's limits; out of it after `calm` seconds without.

    `queued`: requests waiting for the global window; `thread_wait`: seconds the next thread in the support
    channel would wait for its bucket. Either past its threshold starts a surge (both are what customers
    would feel as waiting); the surge ends only after a calm stretch, so it does not flap.
    """

    queued_threshold: int = 25
    wait_threshold: float = 3.0
    calm: float = 60.0
    active: bool = False
    started: int = 0  # surges seen
    _last_pressure: float = field(default=float("-inf"), repr=False)

    def observe(self, now: float, *, queued: int, thread_wait: float) -> bool:
        """Record the pressure seen now; True while in a surge."""
        pressed = queued >= self.queued_threshold or thread_wait >= self.wait_threshold
        if pressed:
            self._last_pressure = now
            if not self.active:
                self.active = True
                self.started += 1
        elif self.active and now - self._last_pressure >= self.calm:
            self.active = False
        return self.active


@dataclass
class Topic:
    title: str
    text: str


class PublicDigest:
    """The "What we know" post: one entry per distinct question (FAQ entry), the most asked first."""

    def __init__(self, limit: int = MESSAGE_LIMIT) -> None:
        self.limit = limit
        self.topics: dict[str, Topic] = {}
        self.asked: Counter[str] = Counter()

    def add(self, key: str, title: str, text: str) -> bool:
        """Count one more question on `key`; True if the post's content changes."""
        before = self.render()
        self.asked[key] += 1
        self.topics.setdefault(key, Topic(title, text))
        return self.render() != before

    def covers(self, key: str) -> bool:
        return key in self.shown()

    def shown(self) -> list[str]:
        """The keys that fit in one message, most asked first."""
        room = self.limit - len(DIGEST_TITLE) - len(DIGEST_FOOTER) - 4
        keys = []
        for key, _ in self.asked.most_common():
            size = len(self._entry(key)) + 2
            if size <= room:
                keys.append(key)
                room -= size
        return keys

    def render(self) -> str:
        entries = [self._entry(k) for k in self.shown()]
        return "\n\n".join([DIGEST_TITLE, *entries, DIGEST_FOOTER])

    def _entry(self, key: str) -> str:
        t = self.topics[key]
        return f"**{t.title}**\n{first_sentences(t.text, ENTRY_CHARS)}"


def first_sentences(text: str, limit: int) -> str:
    """Whole sentences up to `limit` characters (at least the first one, cut at a word if it is longer)."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    out = ""
    for sentence in re.split(r"(?<=[.!?])\s+", words):
        if out and len(out) + 1 + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    if len(out) > limit:
        out = out[: limit - 3].rsplit(" ", 1)[0] + "..."
    return out


def slow_mode_notice(channel_mention: str, questions_last_minute: int) -> str:
    return (
        f"Surge in {channel_mention}: {questions_last_minute} questions in the last minute, more than Discord "
        "lets the bot answer one thread at a time. The most asked questions are now answered once, in the "
        f"\"What we know\" post there, and customers are pointed to `/ask`. Consider turning on slow mode in "
        f"{channel_mention} (Edit Channel > Slowmode, e.g. 30 seconds) until it calms down."
    )
