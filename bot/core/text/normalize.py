"""Folding text for judging: one spelling per meaning, with a map back to the original.

Every rule that judges text (is this a device ID? is this advice unsafe? does this answer
state a time?) runs on the *folded* text, never on the raw one. Folding is done character
by character, so each folded character remembers which original character it came from;
a finding in the folded text is turned back into an exact span of the original (see
`Folded.source_span`), and redaction removes exactly the characters the reader saw.

What folding does (each step optional where noted):
- compatibility decomposition (NFKD, so full-width, circled, superscript and mathematical
  letters and digits become plain ones) and combining marks dropped (accents, "r̲e̲s̲e̲t̲");
- every Unicode decimal digit (Arabic-Indic, Devanagari, ...) becomes the ASCII digit;
- format (Cf) characters removed: zero-width spaces and joiners, soft hyphens, bidi marks;
- every kind of space, tab and line break becomes " " (`squeeze`: runs become one space);
- every dash becomes "-";
- `casefold`;
- `confusables`: a letter that looks like an ASCII letter ("а" Cyrillic, "ο" Greek) becomes
  it, using the Unicode TR39 confusables data shipped by `confusable-homoglyphs`;
- `markdown`: emphasis, code, strike-through, spoiler, heading and quote markers removed
  (for judging only: what is displayed is never folded).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

__all__ = ["Folded", "digit_lookalikes", "fold", "fold_char", "letter_lookalikes"]

_MARKDOWN = frozenset("*_~`|#>\\")
_DROP_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc"})
_KEEP_CONTROL = frozenset("\t\n\r\x0b\x0c")
_ASCII_SPACES = str.maketrans({ch: " " for ch in _KEEP_CONTROL})


@cache
def _confusable_maps() -> tuple[dict[str, str], dict[str, str]]:
    """(non-ASCII letter -> ASCII letter, non-ASCII character -> ASCII digit) from TR39 data."""
    from confusable_homoglyphs.confusables import confusables_data

    letters: dict[str, str] = {}
    digits: dict[str, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        ascii_like = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()]
        alpha = [c for c in ascii_like if c.isalpha()]
        if alpha:
            # an upper-case source prefers an upper-case prototype ("І" -> "I", not "l")
            same_case = [c for c in alpha if c.isupper() == char.isupper()]
            letters[char] = (same_case or alpha)[0]
        else:
            numeric = [c for c in ascii_like if c.isdigit()]
            if numeric:
                digits[char] = numeric[0]
    return letters, digits


def letter_lookalikes() -> dict[str, str]:
    return _confusable_maps()[0]


def digit_lookalikes() -> dict[str, str]:
    return _confusable_maps()[1]


@lru_cache(maxsize=8192)
def fold_char(ch: str, casefold: bool = True, confusables: bool = True, digits_lookalike: bool = False) -> str:
    """What one character becomes in the folded text ('' when it is dropped)."""
    if ch.isascii():
        if ch.isprintable() or ch == " ":
            return ch.lower() if casefold else ch
        return " " if ch in _KEEP_CONTROL else ""
    out: list[str] = []
    for part in unicodedata.normalize("NFKD", ch):
        category = unicodedata.category(part)
        if category in _DROP_CATEGORIES and part not in _KEEP_CONTROL:
            continue
        if part.isspace():
            out.append(" ")
            continue
        if category == "Pd":
            out.append("-")
            continue
        value = unicodedata.decimal(part, None)
        if value is not None:
            out.append(str(value))
            continue
        if digits_lookalike and part in digit_lookalikes():
            out.append(digit_lookalikes()[part])
            continue
        if confusables and not part.isascii():
            mapped = letter_lookalikes().get(part)
            if mapped is None and casefold:
                mapped = letter_lookalikes().get(part.casefold())
            if mapped is not None:
                part = mapped
        out.append(part.casefold() if casefold else part)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text; `origin[i]` is the index in `source` of the character folded text[i] came from."""

    text: str
    origin: Sequence[int]
    source: str

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that folded text[start:end] came from."""
        if start >= end:
            at = self.origin[start] if start < len(self.origin) else len(self.source)
            return at, at
        return self.origin[start], self.origin[end - 1] + 1

    def source_text(self, start: int, end: int) -> str:
        s, e = self.source_span(start, end)
        return self.source[s:e]


def fold(
    text: str,
    *,
    casefold: bool = True,
    confusables: bool = True,
    markdown: bool = False,
    squeeze: bool = False,
    digits_lookalike: bool = False,
) -> Folded:
    """Fold text for judging (see the module docstring); linear in the length of text."""
    if text.isascii() and not markdown and not squeeze:
        if text.isprintable():
            return Folded(text.lower() if casefold else text, range(len(text)), text)
        spaced = text.translate(_ASCII_SPACES)  # line breaks and tabs are spaces; the length is unchanged
        if spaced.isprintable():
            return Folded(spaced.lower() if casefold else spaced, range(len(text)), text)
    if not squeeze:
        return _fold_runs(text, casefold, confusables, digits_lookalike, markdown)
    chars: list[str] = []
    origin: list[int] = []
    last_space: bool = squeeze
    for i, ch in enumerate(text):
        if markdown and ch in _MARKDOWN:
            continue
        folded = fold_char(ch, casefold, confusables, digits_lookalike)
        for out in folded:
            if squeeze and out == " ":
                if last_space:
                    continue
                last_space = True
            else:
                last_space = False
            chars.append(out)
            origin.append(i)
    if squeeze and chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Folded("".join(chars), origin, text)


_SPECIAL = re.compile(r"[^\x20-\x7e]")  # what printable ASCII runs are split on
_SPECIAL_OR_MARKDOWN = re.compile(r"[^\x20-\x7e]|[*_~`|#>\\]")


def _fold_runs(text: str, casefold: bool, confusables: bool, digits_lookalike: bool, markdown: bool) -> Folded:
    """`fold` without squeezing: printable ASCII runs are copied whole, the rest per character."""
    chars: list[str] = []
    origin: list[int] = []
    pos = 0
    for m in (_SPECIAL_OR_MARKDOWN if markdown else _SPECIAL).finditer(text):
        i = m.start()
        if i > pos:
            run = text[pos:i]
            chars.append(run.lower() if casefold else run)
            origin.extend(range(pos, i))
        pos = i + 1
        if markdown and text[i] in _MARKDOWN:
            continue
        folded = fold_char(text[i], casefold, confusables, digits_lookalike)
        if folded:
            chars.append(folded)
            origin.extend([i] * len(folded))
    if pos < len(text):
        run = text[pos:]
        chars.append(run.lower() if casefold else run)
        origin.extend(range(pos, len(text)))
    return Folded("".join(chars), origin, text)
