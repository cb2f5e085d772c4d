"""Checks on everything that goes in and out of the bot's mouth.

- `parse_safety` reads safety.md: standing instructions (`## Always`) and forbidden
  advice (`## Never`, regular expressions).
- `neutralize_mentions` stops an answer from pinging @everyone, @here, users or roles.
- `find_device_ids` / `redact_device_ids` keep device IDs out of answers.
- `looks_like_internal_error`, `detect_distress`, `wants_human`, `detect_prompt_injection`
  are plain heuristics over the text (constants below; tests hold the examples).
- `split_message` (from `bot.core.textsplit`) cuts an answer into Discord-sized messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.devices import DeviceId, InvalidDeviceId, parse_device_id
from bot.core.knowledge import KnowledgeError
from bot.core.textsplit import split_message

__all__ = [
    "DEVICE_ID_REMOVED",
    "AlwaysRule",
    "SafetyRules",
    "Span",
    "detect_distress",
    "detect_prompt_injection",
    "find_device_ids",
    "looks_like_internal_error",
    "neutralize_mentions",
    "parse_safety",
    "redact_device_ids",
    "split_message",
    "wants_human",
]

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------- safety.md

_BULLET = re.compile(r"^[-*]\s+(.*)$")
_WHEN = re.compile(r"\s*\(when:\s*([^()]*)\)\s*$", re.IGNORECASE)
_SECTION = re.compile(r"^##\s+(.*?)\s*$")


def _word_pattern(word: str) -> str:
    """A when-word as a regex: whole words, case-insensitive, plurals tolerated."""
    parts = [re.escape(p) for p in word.lower().split()]
    last = parts[-1]
    if len(last) > 2 and last.endswith("y") and last[-2] not in "aeiou":
        parts[-1] = last[:-1] + "(?:y|ies)"
    else:
        parts[-1] = last + "(?:s|es|'s)?"
    return r"\b" + r"\s+".join(parts) + r"\b"


@dataclass(frozen=True, slots=True)
class AlwaysRule:
    text: str
    when: tuple[str, ...]  # empty: applies to every answer
    pattern: re.Pattern[str] | None

    def applies(self, text: str) -> bool:
        return self.pattern is None or self.pattern.search(text) is not None


@dataclass(frozen=True, slots=True)
class SafetyRules:
    always: tuple[AlwaysRule, ...]
    never: tuple[re.Pattern[str], ...]

    def applicable(self, question: str, answer: str) -> list[str]:
        """Standing instructions to append to this answer, in file order."""
        both = f"{question}\n{answer}"
        return [r.text for r in self.always if r.applies(both)]

    def violations(self, text: str) -> list[str]:
        """The Never patterns the text matches ([] means it may be sent)."""
        return [p.pattern for p in self.never if p.search(text)]


def parse_safety(text: str, file: str = "safety.md") -> SafetyRules:
    always: list[AlwaysRule] = []
    never: list[re.Pattern[str]] = []
    section: str | None = None
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if m := _SECTION.match(line):
            section = m.group(1).strip().lower()
            if section not in ("always", "never"):
                raise KnowledgeError(
                    f"Unknown section '## {m.group(1)}'; only '## Always' and '## Never' are allowed.",
                    file,
                    number,
                )
            if section in seen:
                raise KnowledgeError(f"The section '## {m.group(1)}' appears twice.", file, number)
            seen.add(section)
            continue
        if section is None or not line.strip() or line.lstrip().startswith("<!--"):
            continue
        bullet = _BULLET.match(line)
        if bullet is None:
            if section == "always" and raw[:1].isspace() and always:  # a wrapped bullet
                prev = always[-1]
                always[-1] = _always_rule(f"{prev.text} {line.strip()}", file, number, prev.when)
                continue
            raise KnowledgeError("Expected a rule starting with '- '.", file, number)
        item = bullet.group(1).strip()
        if section == "always":
            always.append(_always_rule(item, file, number))
        else:
            never.append(_never_pattern(item, file, number))
    for name, items in (("Always", always), ("Never", never)):
        if not items:
            raise KnowledgeError(f"The '## {name}' section is missing or has no rules.", file)
    return SafetyRules(tuple(always), tuple(never))


def _always_rule(item: str, file: str, number: int, when: tuple[str, ...] = ()) -> AlwaysRule:
    if m := _WHEN.search(item):
        when = tuple(w.strip().lower() for w in m.group(1).split(",") if w.strip())
        item = item[: m.start()].rstrip()
        if not when:
            raise KnowledgeError("'(when: ...)' lists no words.", file, number)
    if not item:
        raise KnowledgeError("This instruction is empty.", file, number)
    pattern = re.compile("|".join(_word_pattern(w) for w in when), re.IGNORECASE) if when else None
    return AlwaysRule(item, when, pattern)


def _never_pattern(item: str, file: str, number: int) -> re.Pattern[str]:
    if len(item) >= 2 and item.startswith("`") and item.endswith("`"):
        item = item[1:-1]
    try:
        pattern = re.compile(item, re.IGNORECASE)
    except re.error as exc:
        raise KnowledgeError(f"This is not a valid regular expression ({exc}).", file, number) from exc
    if pattern.search("") is not None:
        raise KnowledgeError("This pattern matches empty text, so it would block every answer.", file, number)
    return pattern


# --------------------------------------------------------------------------------- mentions

_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_AT = "@\uff20\ufe6b"  # @, fullwidth @, small @
_MASS_MENTION = re.compile(rf"[{_AT}][{_INVISIBLE}\s]*(everyone|here)\b", re.IGNORECASE)
_USER_MENTION = re.compile(r"<@!?\d+>")
_ROLE_MENTION = re.compile(r"<@&\d+>")


def neutralize_mentions(text: str) -> str:
    """Make mentions harmless (defence in depth: also send with allowed_mentions=none).

    @everyone/@here in any case, fullwidth or with invisible characters become
    "@\\u200beveryone"/"@\\u200bhere"; <@123>, <@!123> become "@user"; <@&123> "@role".
    Channel mentions (<#123>) do not ping and are left as they are.
    """
    text = _MASS_MENTION.sub(lambda m: "@\u200b" + m.group(1), text)
    text = _USER_MENTION.sub("@user", text)
    return _ROLE_MENTION.sub("@role", text)


# ------------------------------------------------------------------------------- device IDs

DEVICE_ID_REMOVED = "[device ID removed]"
_HEXCH = r"[0-9A-Fa-f\uff10-\uff19]"
# Runs of hex-digit groups joined by single separators; a label glued to digits still counts.
_CANDIDATE = re.compile(
    rf"(?:(?<![0-9A-Za-z])|(?<=imei)|(?<=meid)|(?<=imeisv))"
    rf"{_HEXCH}+(?:(?:[ \-./\u2010-\u2015]){_HEXCH}+)*"
    rf"(?![0-9A-Za-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str
    device: DeviceId


def _parse(candidate: str, serial_pattern: str | re.Pattern[str] | None, imei_only: bool = False) -> DeviceId | None:
    digits = sum(ch.isdigit() for ch in candidate)
    if digits < 6:  # English words made of a-f letters are never device IDs
        return None
    try:
        device = parse_device_id(candidate, serial_pattern)
    except InvalidDeviceId:
        return None
    return None if imei_only and device.kind != "imei" else device


def find_device_ids(text: str, serial_pattern: str | re.Pattern[str] | None = None) -> list[Span]:
    """Substrings of text that are valid device IDs (IMEI, IMEISV, MEID, serial).

    A run of groups ("35 209900 176148 1") is tried whole first; if it is not an ID,
    each window of its space-separated tokens is tried, longest first, left to right,
    and only a Luhn-checked IMEI is accepted there (a 16-digit IMEISV has no check digit,
    so "555 123 4567 555 987" would pass).
    """
    found: list[Span] = []
    for m in _CANDIDATE.finditer(text):
        device = _parse(m.group(0), serial_pattern)
        if device is not None:
            found.append(Span(m.start(), m.end(), m.group(0), device))
            continue
        tokens = [(t.start() + m.start(), t.end() + m.start()) for t in re.finditer(r"\S+", m.group(0))]
        taken: list[tuple[int, int]] = []
        for size in range(len(tokens) - 1, 0, -1):
            for i in range(len(tokens) - size + 1):
                start, end = tokens[i][0], tokens[i + size - 1][1]
                if any(s < end and start < e for s, e in taken):
                    continue
                device = _parse(text[start:end], serial_pattern, imei_only=True)
                if device is not None:
                    taken.append((start, end))
                    found.append(Span(start, end, text[start:end], device))
    return sorted(found, key=lambda s: s.start)


def redact_device_ids(
    text: str, allowed: Iterable[str] = (), serial_pattern: str | re.Pattern[str] | None = None
) -> str:
    """Show allowed IDs (normalised form) masked ("****1481"), remove every other one."""
    allowed_set = set(allowed)
    out: list[str] = []
    pos = 0
    for span in find_device_ids(text, serial_pattern):
        out.append(text[pos : span.start])
        out.append(span.device.masked if span.device.normalized in allowed_set else DEVICE_ID_REMOVED)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------- heuristics

INTERNAL_ERROR_PATTERNS = tuple(
    re.compile(p, re.MULTILINE)
    for p in (
        r"Traceback \(most recent call last\)",
        r"^\s*File \"[^\"]+\", line \d+",
        r"\b[a-z_][\w]*(?:\.[a-z_]\w*)*\.[A-Z]\w*(?:Error|Exception|Warning)\b",  # openai.APIError
        r"\b[A-Z][A-Za-z]*(?:Error|Exception):\s",  # KeyError: 'x'
        r"\b(?:sqlite3|psycopg2?|asyncpg|sqlalchemy|aiosqlite)\.\w+",
        r"\bSQLSTATE\b|\bsyntax error at or near\b|\bno such (?:table|column)\b",
        r"\bduplicate key value violates\b|\brelation \"[^\"]+\" does not exist\b",
        r"\bBackground on this error at: https?://sqlalche\.me",
        r"\bError code: \d{3}\b",
        r"<(?:coroutine|function|bound method) [^>]+>|\bobject at 0x[0-9a-fA-F]{6,}\b",
        r"^\s+at [\w.$<>]+\([\w.]*:\d+\)",
    )
)


def looks_like_internal_error(text: str) -> bool:
    """Tracebacks, exception dumps, SQL errors: things a customer must never see."""
    return any(p.search(text) for p in INTERNAL_ERROR_PATTERNS)


DISTRESS_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:angry|furious|livid|outraged|pissed|fuming|enraged|disgusted|fed up)\b",
        r"\b(?:unacceptable|ridiculous|outrageous|disgrace(?:ful)?|disgusting|pathetic|incompetent)\b",
        r"\b(?:useless|joke|scam|fraud|worst|terrible|horrible|awful|shameful)\b",
        r"\b(?:lawyers?|attorneys?|sue|suing|lawsuit|legal action|class action|small claims|court)\b",
        r"\b(?:devastated|heartbroken|crying|in tears|desperate|panicking|panic|distraught|breaking down)\b",
        r"\b(?:f+u+c+k\w*|shit\w*|damn\w*|wtf|crap|bullshit|bs|hell|bloody|screw (?:you|this))\b",
        r"\bhow dare\b|\bcan'?t believe\b|\bsick of\b|\bhad enough\b|\bso upset\b|\bi hate\b",
        r"\b(?:wedding|baby|newborn|funeral|graduation|honeymoon)\s+(?:photos?|pictures?|pics|videos?)\b",
        r"\b(?:passed away|died|late (?:husband|wife|mother|father|mom|dad|son|daughter))\b",
        r"\birreplaceable\b|\bonly (?:photos?|pictures?|copy) (?:of|i had)\b",
    )
)
_ACRONYMS = frozenset({"IMEI", "IMEISV", "MEID", "SIM", "SMS", "MMS", "USB", "FAQ", "PIN", "ESN", "OK", "ID"})


def _shouting(text: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_]{3,}", text) if w not in _ACRONYMS]
    caps = [w for w in words if w.isupper()]
    return len(caps) >= 3 and len(caps) >= 0.6 * len(words)


def detect_distress(text: str) -> bool:
    """The customer is clearly upset: anger, swearing, shouting, legal threats, grief."""
    if _shouting(text) or re.search(r"!{3,}|(?:[!?]\s*){4,}", text) or text.count("!") >= 4:
        return True
    return any(p.search(text) for p in DISTRESS_PATTERNS)


HUMAN_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:talk|speak|chat|connect me|put me through|transfer me|get me)\b.{0,25}?"
        r"\b(?:human|person|someone|somebody|agent|representative|rep|staff|operator|supervisor|manager|people)\b",
        r"\b(?:real|live|actual)\s+(?:person|human|agent|people|support|one)\b",
        r"\b(?:a|an|to)\s+human\b|\bhuman\s+(?:being|agent|support|please)\b",
        r"\b(?:representative|supervisor|agent)\b",
        r"\b(?:support|customer service|help ?desk)\s+(?:staff|team|agent|person|people)\b",
        r"\bescalate\b|\bnot (?:a|this|the) bot\b|\bno (?:more )?bots?\b|\bstop the bot\b",
    )
)


def wants_human(text: str) -> bool:
    """The customer asks for a person instead of the bot."""
    return any(p.search(text) for p in HUMAN_PATTERNS)


INJECTION_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b.{0,30}?"
        r"\b(?:instructions?|rules|prompts?|guidelines|directives|guardrails|restrictions)\b",
        r"\b(?:ignore|disregard|forget)\s+(?:all|everything|the above|what you were told)\b",
        r"\b(?:print|reveal|show|display|repeat|output|leak|dump|tell me|give me|what(?:'s| is| are))\b.{0,30}?"
        r"\b(?:system\s*prompt|your\s+(?:instructions|prompt|rules|guidelines)|initial\s+prompt|hidden\s+prompt)\b",
        r"\byou\s+are\s+now\b|\bfrom\s+now\s+on,?\s+you\b|\bpretend\s+(?:to\s+be|you\s+are)\b|\broleplay\s+as\b",
        r"\b(?:developer|dev|god|admin|debug|jailbreak|dan)\s+mode\b|\bjailbreak\b|\bdo anything now\b",
        r"\b(?:list|show|give|dump|print|export|send|tell)\b.{0,25}?\b(?:every|all|other|everyone'?s)\b.{0,25}?"
        r"\b(?:device\s*ids?|imeis?|meids?|serials?|customers?|users?|registrations?|emails?|database)\b",
        r"<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?(?:system|inst)\]|^\s*(?:system|assistant)\s*:",
        r"\bnew\s+instructions\s*:|\b(?:previous|prior|above)\s+(?:instructions|prompt)\b",
    )
)


def detect_prompt_injection(text: str) -> bool:
    """An attempt to make the bot drop its rules or leak its prompt or other people's data."""
    return any(p.search(text) for p in INJECTION_PATTERNS)
