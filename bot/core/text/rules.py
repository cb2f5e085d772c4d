"""safety.md: standing instructions (`## Always`) and forbidden advice (`## Never`).

An Always bullet is repeated in answers, every answer or only those that mention one of its
`(when: ...)` words; a Never bullet is advice an answer must not give: a phrase, an example or
a regular expression, judged on folded, stemmed text (`bot.core.text.judge`; prompts/README.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.errors import KnowledgeError
from bot.core.text.judge import NeverRule, RuleSyntaxError, parse_never_rule
from bot.core.text.judge import violations as judge_violations
from bot.core.text.normalize import fold

__all__ = ["AlwaysRule", "SafetyRules", "parse_safety"]

_BULLET = re.compile(r"^[-*]\s+(.*)$")
_WHEN = re.compile(r"\s*\(when:\s*([^()]*)\)\s*$", re.IGNORECASE)
_SECTION = re.compile(r"^##\s+(.*?)\s*$")


def _word_pattern(word: str) -> str:
    """A when-word as a regex: whole words, case-insensitive, plurals tolerated."""
    parts = [re.escape(p) for p in fold(word, markdown=True).text.split()]  # matched on folded text
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
    never: tuple[NeverRule, ...]
    _answer_memo: dict[str, tuple[bool, ...]] = field(default_factory=dict, compare=False, repr=False)

    def applicable(self, question: str, answer: str) -> list[str]:
        """Standing instructions to append to this answer, in file order.

        The when-words are looked for in the folded question and answer ("ＲＥＳＥＴ" and "rеset" with a
        Cyrillic "е" are "reset"). Answers repeat, so what applies to an answer's text is remembered.
        """
        asked = self._touched(question)
        answered = self._answer_memo.get(answer)
        if answered is None:
            answered = self._touched(answer)
            if len(self._answer_memo) >= 4096:
                self._answer_memo.clear()
            self._answer_memo[answer] = answered
        return [r.text for r, a, b in zip(self.always, asked, answered, strict=True) if a or b]

    def _touched(self, text: str) -> tuple[bool, ...]:
        folded = fold(text, markdown=True).text if text else ""
        return tuple(r.applies(folded) for r in self.always)

    def violations(self, text: str) -> list[str]:
        """The Never rules the text breaks, as written ([] means it may be sent)."""
        return judge_violations(self.never, text)


def parse_safety(text: str, file: str = "safety.md") -> SafetyRules:
    always: list[AlwaysRule] = []
    never: list[NeverRule] = []
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
            never.append(_never_rule(item, file, number))
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
    pattern = re.compile("|".join(_word_pattern(w) for w in when)) if when else None
    return AlwaysRule(item, when, pattern)


def _never_rule(item: str, file: str, number: int) -> NeverRule:
    try:
        return parse_never_rule(item)
    except RuleSyntaxError as exc:
        raise KnowledgeError(str(exc), file, number) from exc
