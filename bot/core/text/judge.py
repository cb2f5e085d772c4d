"""Output safety: does a text give advice that safety.md forbids, however it is spelled?

`## Never` bullets in safety.md come in three kinds (see prompts/README.md):

- a regular expression (the original syntax, still the default): `- \\bwipe\\s+it\\b`
- a phrase: `- phrase: remove|take_out|pull_out battery|sim`
  Slots are separated by spaces; `a|b` are alternatives for one slot; a multi-word
  alternative joins its words with `_` (`remove|take_out|pull_out`). Every word is compared by
  its stem (English Snowball), so "removing", "removed" and "removes" are all "remove".
  Up to 3 other words may stand between two slots ("pull out the SIM card and the battery").
- an example: `- example: Erase all content and settings on the phone.`
  Its content words (stop words dropped) must all appear, in order, in one sentence, with
  up to 6 other words between two of them.

Every rule is matched on the *folded* text (NFKC, confusables, zero-width characters and
markdown removed, case folded; letters-for-digits "r3s3t" read as letters), so bold text,
look-alike Cyrillic letters and invisible characters change nothing. A phrase or example
match is a warning, not advice, when a negation stands before it in the same clause
("do not", "never", "without", "if you ...": `NEGATIONS`). Regular expressions keep their
own look-behinds, as before; they are tried on the raw text and on the folded text.

Text that hides words from the rules (letters spelt out one by one, a word mixing Latin
and Cyrillic letters) is itself a violation: an honest answer never looks like that.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import snowballstemmer

from bot.core.text.normalize import fold

__all__ = ["NEGATIONS", "Judged", "NeverRule", "RuleSyntaxError", "judge", "parse_never_rule"]

_NEGATION_TEXT = """not never no dont don't doesnt doesn't didnt didn't wont won't cant can't cannot shouldnt shouldn't
    mustnt mustn't avoid avoiding without instead if unless nor neither refrain against stop isnt isn't
    arent aren't wasnt wasn't"""
NEGATIONS = frozenset(_NEGATION_TEXT.split())
_STOP_TEXT = """a an the your you my our this that these those it its to of on in at for and or with from by
    please just then also so be is are can could should would will may might all any some"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
HYPOTHETICAL = frozenset({"would"})  # "a reset would erase everything" describes, it does not advise
PHRASE_GAP = 3
EXAMPLE_GAP = 6
NEGATION_REACH = 12
# a negation reaches over "or" ("do not sign out or change your password") but not past these
_SCOPE_ENDS = frozenset({"and", "but", "then", "so", "just", "now"})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_WORD = re.compile(r"[a-z0-9@$]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"[.!?\n]+(?:\s|$)|\n")
_CLAUSE_END = re.compile(r"[,;:()\[\]\"]|\s-\s")
_stemmer = snowballstemmer.stemmer("english")


class RuleSyntaxError(ValueError):
    """A Never bullet that cannot be used; the message says why."""


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


@dataclass(frozen=True, slots=True)
class _Token:
    stem: str
    word: str
    sentence: int
    clause: int


@dataclass(slots=True)
class Judged:
    """A text prepared once for every rule: raw, folded, and stemmed tokens."""

    raw: str
    folded: str
    tokens: list[_Token] = field(default_factory=list)
    obfuscated: str | None = None  # why the text looks made to hide words from the rules


def _deleet(word: str) -> str:
    if word.isalpha() or word.isdigit() or not any(c.isalpha() for c in word):
        return word
    letters = sum(c.isalpha() for c in word)
    # "4g", "5g", "mp3", "2fa" stay as they are: only mostly-letter words are read as leet
    return word.translate(_LEET) if letters >= 3 and letters > len(word) / 2 else word


def _mixed_script(raw: str) -> bool:
    for word in re.findall(r"[^\W\d_]{2,}", raw):
        scripts = set()
        for ch in word:
            if ch.isascii():
                scripts.add("latin")
            else:
                name = unicodedata.name(ch, "")
                scripts.add(name.split(" ")[0])
        if "latin" in scripts and ({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"} & scripts):
            return True
    return False


def judge(text: str) -> Judged:
    folded = fold(text.replace("’", "'").replace("‘", "'"), markdown=True, squeeze=True).text
    judged = Judged(text, folded)
    sentence = clause = 0
    pos = 0
    single_run = 0
    for m in _WORD.finditer(folded):
        between = folded[pos : m.start()]
        if _SENTENCE_END.search(between):
            sentence += 1
            clause += 1
        elif _CLAUSE_END.search(between):
            clause += 1
        pos = m.end()
        word = _deleet(m.group(0))
        single_run = single_run + 1 if len(word) == 1 and word.isalpha() else 0
        if single_run >= 6 and judged.obfuscated is None:
            judged.obfuscated = "letters spelt out one by one"
        judged.tokens.append(_Token(stem(word), word, sentence, clause))
    if judged.obfuscated is None and _mixed_script(text):
        judged.obfuscated = "a word mixing Latin with look-alike letters of another script"
    return judged


def _negated(tokens: Sequence[_Token], start: int) -> bool:
    clause = tokens[start].clause
    for k in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        t = tokens[k]
        if t.clause != clause or t.word in _SCOPE_ENDS:
            break
        if _negation(t) or (t.word in HYPOTHETICAL and start - k <= 2):
            return True
    return False


def _negation(token: _Token) -> bool:
    return token.word in NEGATIONS or token.word.endswith("n't")


Slot = tuple[tuple[str, ...], ...]  # alternatives, each a sequence of stems


@dataclass(frozen=True, slots=True)
class NeverRule:
    kind: Literal["regex", "phrase", "example"]
    source: str  # the bullet as written (for logs and errors)
    pattern: re.Pattern[str] | None = None
    slots: tuple[Slot, ...] = ()
    gap: int = PHRASE_GAP
    scope: Literal["clause", "sentence"] = "clause"

    def matches(self, judged: Judged) -> bool:
        if self.pattern is not None:
            return self.pattern.search(judged.raw) is not None or self.pattern.search(judged.folded) is not None
        return self._sequence(judged.tokens)

    def _sequence(self, tokens: Sequence[_Token]) -> bool:
        first = self.slots[0]
        for i in range(len(tokens)):
            end = _match_alt(tokens, i, first)
            if end is None:
                continue
            last = self._rest(tokens, end, 1, tokens[i])
            if last is None or _negated(tokens, i):
                continue
            own = {stem for slot in self.slots for alt in slot for stem in alt}
            if not any(_negation(t) or (t.word in HYPOTHETICAL and t.stem not in own) for t in tokens[i:last]):
                return True
        return False

    def _rest(self, tokens: Sequence[_Token], pos: int, slot: int, anchor: _Token) -> int | None:
        """The end of a match of slots[slot:] starting within `gap` words of pos, or None."""
        if slot == len(self.slots):
            return pos
        for k in range(pos, min(len(tokens), pos + self.gap + 1)):
            t = tokens[k]
            if (t.clause if self.scope == "clause" else t.sentence) != (
                anchor.clause if self.scope == "clause" else anchor.sentence
            ):
                return None
            end = _match_alt(tokens, k, self.slots[slot])
            if end is not None:
                last = self._rest(tokens, end, slot + 1, anchor)
                if last is not None:
                    return last
        return None


def _match_alt(tokens: Sequence[_Token], i: int, slot: Slot) -> int | None:
    for alt in slot:
        n = len(alt)
        if i + n <= len(tokens) and all(tokens[i + k].stem == alt[k] for k in range(n)):
            return i + n
    return None


def _stems(words: str) -> tuple[str, ...]:
    folded = fold(words, markdown=True, squeeze=True).text
    return tuple(stem(_deleet(w)) for w in _WORD.findall(folded))


def _multiword_phrase(body: str) -> tuple[Slot, ...]:
    """Slots of a phrase bullet: words separated by spaces; "a|b c|d" has two slots unless
    an alternative is quoted with underscores ("take_out|remove battery")."""
    body = re.sub(r"\s*\|\s*", "|", body.strip())
    slots: list[Slot] = []
    for chunk in body.split():
        alts = tuple(s for s in (_stems(a.replace("_", " ")) for a in chunk.split("|")) if s)
        if alts:
            slots.append(alts)
    return tuple(slots)


def parse_never_rule(item: str) -> NeverRule:
    """One `## Never` bullet (without the leading "- ") as a rule; RuleSyntaxError if unusable."""
    if m := re.match(r"^(phrase|example)\s*:\s*(.*)$", item, re.IGNORECASE):
        kind, body = m.group(1).lower(), m.group(2).strip()
        if not body:
            raise RuleSyntaxError(f"This {kind} is empty.")
        if kind == "phrase":
            slots = _multiword_phrase(body)
            if not slots:
                raise RuleSyntaxError("This phrase has no words.")
            return NeverRule("phrase", item, slots=slots)
        words = [w for w in _stems(body) if w not in {stem(s) for s in STOP_WORDS}]
        if len(words) < 2:
            raise RuleSyntaxError("This example needs at least two words that are not stop words.")
        return NeverRule("example", item, slots=tuple(((w,),) for w in words), gap=EXAMPLE_GAP, scope="sentence")
    if m := re.match(r"^regex\s*:\s*(.*)$", item, re.IGNORECASE):
        item = m.group(1).strip()
    if len(item) >= 2 and item.startswith("`") and item.endswith("`"):
        item = item[1:-1]
    try:
        pattern = re.compile(item, re.IGNORECASE)
    except re.error as exc:
        raise RuleSyntaxError(f"This is not a valid regular expression ({exc}).") from exc
    if pattern.search("") is not None:
        raise RuleSyntaxError("This pattern matches empty text, so it would block every answer.")
    return NeverRule("regex", item, pattern=pattern)


def violations(rules: Iterable[NeverRule], text: str) -> list[str]:
    """The rules the text breaks, as written ([] means it may be sent)."""
    judged = judge(text)
    broken = [r.source for r in rules if r.matches(judged)]
    if judged.obfuscated:
        broken.append(f"obfuscated text: {judged.obfuscated}")
    return broken
