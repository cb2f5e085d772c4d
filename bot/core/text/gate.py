"""The checks every piece of model text passes before a customer may see it.

`OutputGate.check` says whether an LLM answer may be used, and why not: an internal error
or traceback, a broken `Never` rule (judged on folded, stemmed text), a claim (time, date,
money, percentage, link, ...) that its grounding does not support, an echo of the system
prompt, or a device ID that is not the asker's own. When it may not, the caller answers
offline instead, and logs and counts the reasons (`GateCounters`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core.text.claims import ungrounded
from bot.core.text.normalize import fold
from bot.core.text.scanner import IdScanner

__all__ = ["GateCounters", "OutputGate", "Verdict", "echoes"]

ECHO_WORDS = 8  # this many words in a row from the system prompt's own text is a leak
_WORDS = re.compile(r"[a-z0-9']+")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...] = ()


@dataclass
class GateCounters:
    """How often model text was refused, by reason kind (for /stats and the benchmark)."""

    checked: int = 0
    refused: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORDS.findall(fold(text, markdown=True, squeeze=True).text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def echoes(text: str, secret_shingles: set[tuple[str, ...]], n: int = ECHO_WORDS) -> bool:
    return bool(secret_shingles) and bool(_shingles(text, n) & secret_shingles)


class OutputGate:
    def __init__(
        self,
        scanner: IdScanner,
        *,
        never: Callable[[str], list[str]],
        internal_error: Callable[[str], bool],
        allowed_domains: Iterable[str] = (),
        system_prompt: str = "",
    ) -> None:
        self.scanner = scanner
        self.never = never
        self.internal_error = internal_error
        self.allowed_domains = tuple(allowed_domains)
        # only the prompt's own words: the FAQ and status it quotes may be repeated
        self._secret = _shingles(_PLACEHOLDER.sub(" | ", system_prompt), ECHO_WORDS)
        self.counters = GateCounters()

    def check(
        self, text: str, *, grounding: Iterable[str], allowed_ids: Iterable[str] = (), never_text: str | None = None
    ) -> Verdict:
        """never_text: what the Never rules judge, when it differs (the answer without the quoted status)."""
        reasons: list[str] = []
        if self.internal_error(text):
            reasons.append("internal: looks like an internal error")
        reasons.extend(f"never: {r[:80]}" for r in self.never(text if never_text is None else never_text))
        claims = ungrounded(text, grounding, self.allowed_domains)
        reasons.extend(f"claim: {c}" for c in claims)
        if echoes(text, self._secret):
            reasons.append("prompt: repeats the system prompt")
        allowed = set(allowed_ids)
        if any(s.device.normalized not in allowed for s in self.scanner.find(text)):
            reasons.append("device: a device ID that is not the asker's")
        self.counters.checked += 1
        if reasons:
            self.counters.refused += 1
            self.counters.reasons.update(r.split(":", 1)[0] for r in reasons)
        return Verdict(not reasons, tuple(reasons))
