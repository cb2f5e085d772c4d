"""Does a text contradict the live status? ("Contacts are still being investigated" under a status
saying contacts are restored.) Used on LLM answers, and on FAQ entries before they are quoted.

Deliberately narrow: a sentence that names one data type of the status and states it is restored
(or not) is compared with that type's live state. Anything else is left to the other checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.compose import StatusFacts

_SENTENCE = re.compile(r"[^.!?\n]+")
_NEGATIVE = re.compile(
    r"\b(?:not\s+(?:yet\s+)?(?:been\s+)?(?:restored|recovered|back|available|started)|still\s+(?:missing|"
    r"being\s+investigated|lost|unavailable|pending)|being\s+investigated|(?:are|is|were|was)\s+lost|"
    r"cannot\s+be\s+recovered|can't\s+be\s+recovered|not\s+recoverable|no\s+progress|pending|"
    r"has\s+not\s+started|haven't\s+started|hasn't\s+started)\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(?:(?:is|are|has\s+been|have\s+been|was|were)\s+(?:now\s+|fully\s+|all\s+)?(?:restored|recovered|back)|"
    r"fully\s+restored|restore\s+is\s+(?:complete|finished|done))\b",
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(r"\b(?:when|once|until|after|if|as soon as|whether|will be)\b", re.IGNORECASE)
_DONE = frozenset({"restored"})
_NOT_DONE = frozenset({"pending", "in_progress", "not_recoverable"})


def _names(topic: str, aliases: Iterable[str]) -> re.Pattern[str]:
    words = [topic.replace("_", " "), *aliases]
    alts = "|".join(re.escape(w.rstrip("s")) + r"s?" for w in words if w)
    return re.compile(rf"\b(?:{alts})\b", re.IGNORECASE)


def contradictions(
    text: str, status: StatusFacts | None, aliases: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    """Sentences of `text` that state the opposite of the live state of a data type they name."""
    if status is None or not status.progress:
        return []
    found = []
    patterns = [(p, _names(p.name, (aliases or {}).get(p.name, ()))) for p in status.progress]
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        named = [p for p, pattern in patterns if pattern.search(sentence)]
        if len(named) != 1 or _CONDITIONAL.search(sentence):
            continue  # several types mix states; "we will tell you when it is restored" states nothing yet
        live = named[0].state
        negative = _NEGATIVE.search(sentence) is not None
        positive = _POSITIVE.search(sentence) is not None and not negative
        if (live in _DONE and negative) or (live in _NOT_DONE and positive):
            found.append(sentence.strip())
    return found


def overall_contradiction(text: str, status: StatusFacts | None) -> bool:
    """FAQ prose about the whole incident that the status has overtaken ("still being investigated"
    while data types are already restored)."""
    if status is None or not status.progress:
        return False
    restored_any = any(p.state in ("restored", "partial") for p in status.progress)
    return restored_any and re.search(r"\bstill\s+being\s+investigated\b|\bno\s+progress\b", text, re.I) is not None
