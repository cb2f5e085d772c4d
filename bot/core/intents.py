"""What the customer means, beyond the question itself: plain heuristics over their message.

- `detect_distress`: anger, swearing, shouting, legal threats, grief.
- `wants_human`: asks for a person instead of the bot.
- `detect_prompt_injection`: tries to make the bot drop its rules or leak data.

The patterns are constants below; the tests hold the examples each one must and must not match.
"""

from __future__ import annotations

import re

__all__ = [
    "DISTRESS_PATTERNS",
    "HUMAN_PATTERNS",
    "INJECTION_PATTERNS",
    "detect_distress",
    "detect_prompt_injection",
    "wants_human",
]

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
