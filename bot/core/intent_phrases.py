"""Operator-editable intent phrases (prompts/intents.md) and the normalised form every rule judges.

Each `## ` section of intents.md is one list; each `- ` line holds comma-separated phrases, matched as
whole words on the normalised message; a `*` ends a word with any ending. `## translations` maps words
(`fotos = photos`), `## topics` names a status data type's other names (`photos: pictures, pics`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.text.terms import STOP_WORDS

SECTIONS = (
    "human", "crisis", "distress", "refuse", "offtopic", "smalltalk", "status", "device", "advice", "translations",
    "overall", "topics",
)


class IntentsError(ValueError):
    """prompts/intents.md is invalid; `str()` names the line."""


@dataclass(frozen=True, slots=True)
class IntentPhrases:
    lists: Mapping[str, tuple[str, ...]]
    translations: Mapping[str, str] = field(default_factory=dict)  # word -> replacement (may be "")
    topic_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # data type -> other names

    def get(self, section: str) -> tuple[str, ...]:
        return self.lists.get(section, ())


def parse_intents(text: str, file: str = "intents.md") -> IntentPhrases:
    lists: dict[str, list[str]] = {}
    translations: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("## "):
            section = line[3:].strip().lower()
            if section not in SECTIONS:
                raise IntentsError(f"{file}, line {number}: unknown section {line!r}; known: {', '.join(SECTIONS)}")
            continue
        if section is None or not line or line.startswith("<!--"):
            continue
        if not line.startswith("- "):
            raise IntentsError(f"{file}, line {number}: expected a line starting with '- '")
        if section == "topics":
            topic, sep, names = line[2:].partition(":")
            if not sep or not topic.strip():
                raise IntentsError(f"{file}, line {number}: expected '- data_type: other name, other name'")
            key = normalize(topic).replace(" ", "_")
            aliases.setdefault(key, []).extend(normalize(n) for n in names.split(",") if n.strip())
            continue
        items = [p.strip() for p in line[2:].split(",") if p.strip()]
        if section == "translations":
            for item in items:
                if "=" not in item:
                    raise IntentsError(f"{file}, line {number}: {item!r} needs the form 'word = meaning'")
                left, right = (normalize(s) for s in item.split("=", 1))
                if not left:
                    raise IntentsError(f"{file}, line {number}: {item!r} has nothing before '='")
                translations[left] = right
        else:
            lists.setdefault(section, []).extend(normalize(p) for p in items)
    missing = [s for s in ("human", "crisis", "distress", "refuse", "smalltalk", "status") if not lists.get(s)]
    if missing:
        raise IntentsError(f"{file}: the section(s) {', '.join(missing)} are missing or empty")
    return IntentPhrases(
        {k: tuple(v) for k, v in lists.items()}, translations, {k: tuple(v) for k, v in aliases.items()}
    )


def load_intents(path: str | Path) -> IntentPhrases:
    path = Path(path)
    return parse_intents(path.read_text(encoding="utf-8-sig"), path.name)


# ------------------------------------------------------------------------------------ normalising

# Letters from other scripts that look like Latin ones (the common part of Unicode TR39's table).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡӏοαρτνκмтнвЅІЈАВЕКМНОРСТХΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdgloaptvkmthbSIJABEKMHOPCTXABEZHIKMNOPTYX",
)
_MARKDOWN = re.compile(r"[*_`~|>#]+")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The form every rule judges: NFKC, digits as ASCII, no format characters, no accents,
    confusable letters mapped to Latin, markdown marks dropped, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    out = []
    for ch in unicodedata.normalize("NFD", text):
        cat = unicodedata.category(ch)
        if cat == "Mn" or cat == "Cf":
            continue
        if cat == "Nd" and not ch.isascii():
            ch = str(unicodedata.decimal(ch))
        out.append(ch)
    text = "".join(out).casefold().replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("¿", " ").replace("¡", " ")
    text = _SPACE.sub(" ", _MARKDOWN.sub(" ", text)).strip()
    return _SHORT_FORM.sub(lambda m: _SHORT_FORMS[m.group(0)], text)


# Contractions and chat spellings written out, so that one phrase ("you are", "do not") covers them all.
# Only unambiguous forms: "its", "well", "were", "ill" are words of their own.
_SHORT_FORMS = {
    "i'm": "i am", "im": "i am", "you're": "you are", "youre": "you are", "we're": "we are", "they're": "they are",
    "theyre": "they are", "can't": "cannot", "cant": "cannot", "can not": "cannot", "won't": "will not",
    "wont": "will not", "don't": "do not", "dont": "do not", "doesn't": "does not", "doesnt": "does not",
    "didn't": "did not", "didnt": "did not", "isn't": "is not", "isnt": "is not", "aren't": "are not",
    "arent": "are not", "wasn't": "was not", "wasnt": "was not", "weren't": "were not", "haven't": "have not",
    "havent": "have not", "hasn't": "has not", "hasnt": "has not", "shouldn't": "should not",
    "shouldnt": "should not", "wouldn't": "would not", "wouldnt": "would not", "couldn't": "could not",
    "couldnt": "could not", "i've": "i have", "ive": "i have", "i'll": "i will", "i'd": "i would",
    "it's": "it is", "what's": "what is", "whats": "what is", "that's": "that is", "thats": "that is",
    "there's": "there is", "where's": "where is", "wheres": "where is", "who's": "who is", "how's": "how is",
    "let's": "let us", "gonna": "going to", "wanna": "want to", "gotta": "got to", "u": "you", "ur": "your",
    "pls": "please", "plz": "please", "wat": "what", "wut": "what", "wht": "what", "4eva": "forever",
    "4ever": "forever", "b4": "before", "2day": "today", "tmrw": "tomorrow", "rn": "right now", "bc": "because",
    "cuz": "because", "coz": "because", "abt": "about", "ppl": "people", "msg": "message", "yall": "you all",
    "y'all": "you all",
}
_SHORT_FORM = re.compile(
    r"(?<![\w'])(?:" + "|".join(re.escape(k) for k in sorted(_SHORT_FORMS, key=len, reverse=True)) + r")(?![\w'])"
)


def phrase_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    alts = []
    for p in sorted(set(phrases), key=len, reverse=True):
        if not p:
            continue
        body = r"\s+".join(_inflected(w) for w in p.split(" "))
        alts.append(body)
    if not alts:
        return None
    return re.compile(r"(?<![\w'])(?:" + "|".join(alts) + r")(?:'s)?(?![\w'])")


def _inflected(word: str) -> str:
    """A phrase word as a regex that also takes its common endings: "end" finds "ending", "live" "living"."""
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    body = re.escape(word).replace("'", "'?")
    if len(word) < 3 or not word.isalpha() or word in STOP_WORDS:
        return body
    if word.endswith("e"):
        return re.escape(word[:-1]) + r"(?:e|es|ed|ing)"
    if word.endswith(("s", "ed", "ing")):
        return body
    return body + r"(?:s|es|ed|ing)?"
