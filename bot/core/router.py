"""What the customer means: one intent per message, decided before any FAQ entry is searched.

The phrase lists live in prompts/intents.md (operators edit them); this module holds the order
in which they are tried and the few structural rules around them. Every list is compiled into a
single alternation regex, so a message costs one scan per list, not one per phrase.

Order matters and is deliberate: a device ID, a risk to life, a request to leave the bot's role,
a request for a person, distress, off-topic advice, small talk; then what the question is about
(the customer's own device, a data type of the live status, the incident as a whole) and only
then the FAQ. "What's the worst case for my photos?" is a status question, not distress; "is the
sync agent on my phone the problem?" is an FAQ question, not a device lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from bot.core.intent_phrases import SECTIONS, IntentPhrases, load_intents, normalize, phrase_regex
from bot.core.text import terms as ta

Intent = Literal[
    "status",  # progress, ETA or the latest update, overall or per data type
    "device",  # the customer's own registered devices
    "faq",  # a question an FAQ entry answers
    "smalltalk",  # greetings, thanks, "ok"
    "human",  # a request for a person
    "distress",  # anger, grief, legal threats; `crisis` when there is a risk to life
    "refuse",  # a request to act outside the bot's role
    "offtopic",  # legal, financial or medical advice; anything unrelated
    "device_id",  # the message carried a device ID (already removed from the text)
    "nonsense",  # no words the bot knows
    "unknown",  # a real question the bot cannot answer
]
INTENTS: tuple[Intent, ...] = (
    "status", "device", "faq", "smalltalk", "human", "distress", "refuse", "offtopic", "device_id", "nonsense",
    "unknown",
)
FAQ_CONFIDENT = 0.4  # calibrated on bench/eval: above it the top FAQ entry was right 170 times in 174
FAQ_PLAUSIBLE = 0.25  # from here to FAQ_CONFIDENT the top entry is offered as a guess, with a person
LONG_MESSAGE_WORDS = 8  # from this length a status word is rarely the point of the message
FAQ_OVER_STATUS = 0.6  # a status question about the incident goes to an FAQ entry only above this
DEVICE_ID_MARK = "[device id removed]"  # what redaction leaves behind, after normalisation


# --------------------------------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class Route:
    intent: Intent
    confidence: float  # 0..1: how sure the router is
    text: str  # the normalised (and translated) message the decision was made on
    topics: tuple[str, ...] = ()  # status data types the message is about (progress keys)
    crisis: bool = False  # distress with a risk to life: a crisis line goes with the answer
    upset: bool = False  # a secondary signal: the customer is upset, whatever they asked
    faq_key: str | None = None  # for intent "faq": the entry to answer from
    also: Intent | None = None  # for distress: what the question inside it is (answered after the empathy)
    reason: str = ""  # which rule decided, for logs and the evaluation

    @property
    def hands_over(self) -> bool:
        return self.intent in ("human", "distress")


FaqSearch = Callable[[str], "tuple[str, str, float] | None"]
"""(entry key, entry question, calibrated confidence) of the best FAQ match for a normalised question."""

_SPACES = re.compile(r"\s+")
_LETTERS = re.compile(r"[a-z]")
_WORD = re.compile(r"[a-z]+")
_UPDATE_ASKED = re.compile(r"\b(?:next|latest|last|newest|most recent|new)\s+(?:status\s+)?(?:update|post|news)\b")
_SPELLED_SECTIONS = ("status", "overall", "advice", "device", "smalltalk")
_REPEATED = re.compile(r"^(\w)\1{2,}$|^(\w\w)\2{2,}$|^(\w\w\w)\3{1,}$")
_SHOUT_WORD = re.compile(r"[^\W\d_]{3,}")
_ROLE_MARKER = re.compile(
    r"(?:^|[.!?\n]\s*)(?:system|assistant|developer|admin)\s*:"  # a turn written as if by another role
    r"|<\|?(?:im_start|im_end|system|endoftext)\|?>|\[/?(?:system|inst)\]",  # chat-template markers
    re.IGNORECASE,
)
_ACRONYMS = frozenset({"IMEI", "IMEISV", "MEID", "SIM", "SMS", "MMS", "USB", "FAQ", "PIN", "ESN", "OK", "ID", "PDF"})
_BANG = re.compile(r"!{3,}|(?=[!?\s]*!)(?:[!?]\s*){4,}")
# a base64-looking run (upper, lower case and digits mixed): an encoded instruction, never a question
_ENCODED = re.compile(
    r"(?<![\w+/])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{16,}={0,2}"
)
_PRETEND_STAFF = re.compile(
    r"\bi(?:'?m| am| work (?:for|at|in))\b[^.?!]{0,30}?\b(?:staff|employee|admin|administrator|moderator|mod|"
    r"engineer|developer|support agent|support team)\b"
)
# someone's life at risk: a person (not a phone or a battery) who could die
_AT_RISK = re.compile(
    r"\b(?:he|she|they|i|someone|somebody|my\s+(?:\w+\s+)?(?:dad|father|mum|mom|mother|son|daughter|husband|wife|"
    r"partner|child|kid|baby|grandma|grandmother|grandpa|grandfather|brother|sister|friend|patient|parents?))\b"
    r"[^.?!]{0,60}?\b(?:could|might|will|may|is going to|are going to|gonna|would)\s+die\b"
)
_NEGATED = re.compile(r"(?:\bnot|n't|\bno|\bnever)\s+(?:\w+\s+)?$")
_FILLER = frozenset(
    {"so", "much", "very", "you", "again", "all", "for", "that", "and", "oh", "well", "really", "you've", "been", "a",
     "lot", "it", "is", "was", "this", "just", "ve"}
)
_OWN_DEVICE_VERB = re.compile(r"\b(?:show|list|check|see|look up|what about|which of|how is|how's|status of)\b")


class Router:
    """Routes normalised messages; build once (it compiles the phrase lists), share freely."""

    def __init__(
        self,
        phrases: IntentPhrases,
        *,
        topics: Sequence[str] = (),
        vocabulary: Iterable[str] = (),
    ) -> None:
        self.phrases = phrases
        self._re = {s: phrase_regex(phrases.get(s)) for s in SECTIONS if s not in ("translations", "topics")}
        self._translate = phrase_regex(phrases.translations)
        self._smalltalk_words = frozenset(w for p in phrases.get("smalltalk") for w in p.split())
        device_words = "|".join(re.escape(w) for w in sorted(phrases.get("device"), key=len, reverse=True))
        self._own_device = re.compile(
            rf"\b(?:my|mine|our)\s+(?:registered\s+|own\s+)?(?:{device_words})s?\b"
            r"(?!\s+(?:numbers?|book|bill|plan|contacts|photos|calendar|notes|data|apps?)\b)"
            if device_words
            else r"(?!x)x"
        )
        self._vocabulary = set(vocabulary) | set(ta.STOP_WORDS)
        for section in SECTIONS:
            for p in phrases.get(section):
                self._vocabulary.update(re.findall(r"[a-z]+", p))
        phrase_words: set[str] = set()
        for section in _SPELLED_SECTIONS:  # never into a word that refuses, declines or hands over
            for p in phrases.get(section):
                phrase_words.update(re.findall(r"[a-z]+", p))
        for word, meaning in phrases.translations.items():
            self._vocabulary.update(re.findall(r"[a-z]+", word + " " + meaning))
        # a misspelt cue word ("updtes", "happend") is read as the cue: one edit away, and not a word of its own
        self._cue_spelling = ta.FuzzyLexicon(w for w in phrase_words if len(w) >= 5)
        self._spelt: dict[str, str] = {}
        self._status_questions: dict[str, bool] = {}
        self.set_topics(topics)

    def set_topics(self, topics: Sequence[str]) -> None:
        """The data types the live status reports on (its progress keys)."""
        self.topics = tuple(topics)
        self._topic_terms: list[tuple[str, frozenset[str]]] = []
        for topic in self.topics:
            for name in [topic.replace("_", " "), *self.phrases.topic_aliases.get(topic, ())]:
                terms = frozenset(_terms(name))
                if terms:
                    self._topic_terms.append((topic, terms))
                    self._vocabulary.update(re.findall(r"[a-z]+", name))
        self._topic_fuzzy = ta.FuzzyLexicon(t for _, terms in self._topic_terms for t in terms)

    def topics_in(self, text: str) -> tuple[str, ...]:
        terms = set()
        for term in _terms(text):
            terms.add(term)
            fixed = self._topic_fuzzy.correct(term)
            if fixed is not None:
                terms.add(fixed[0])
        found: dict[str, frozenset[str]] = {}
        for topic, needed in self._topic_terms:
            if needed <= terms and (topic not in found or len(needed) > len(found[topic])):
                found[topic] = needed
        # "shared notebooks" is about shared_notebooks, not also about notebooks
        return tuple(
            t for t, need in found.items() if not any(need < other for o, other in found.items() if o != t)
        )

    def _has(self, section: str, text: str) -> bool:
        pattern = self._re.get(section)
        return pattern is not None and pattern.search(text) is not None

    def translate(self, text: str) -> str:
        if self._translate is None:
            return text
        table = self.phrases.translations
        return _SPACES.sub(" ", self._translate.sub(lambda m: table.get(m.group(0), m.group(0)), text)).strip()

    def is_nonsense(self, text: str) -> bool:
        words = re.findall(r"[a-z]+", text)
        if not words:
            return True
        known = 0
        for w in words:
            if _REPEATED.match(w):
                continue
            if w in self._vocabulary or ta.stem(w) in self._vocabulary or (len(w) >= 4 and ta.stem(w) in ta.SYNONYMS):
                known += 1
        return known == 0

    def spell(self, text: str) -> str:
        """Words the bot does not know, one typing slip away from a phrase word, written as that word."""
        return _WORD.sub(self._spell_word, text)

    def _spell_word(self, m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 5 or word in self._vocabulary:
            return word
        fixed = self._spelt.get(word)
        if fixed is None:
            found = self._cue_spelling.correct(word)
            one_slip = found is not None and found[1] >= 0.85 and ta.stem(word) not in self._vocabulary
            fixed = found[0] if found is not None and one_slip else word
            if len(self._spelt) > 20_000:
                self._spelt.clear()
            self._spelt[word] = fixed
        return fixed

    def route(self, raw: str, *, device_id_found: bool = False, faq: FaqSearch | None = None) -> Route:
        text = self.spell(self.translate(normalize(raw)))
        distressed = self._distressed(text)
        shouting = self._shouting(raw)
        upset = distressed or shouting
        if device_id_found or DEVICE_ID_MARK in text:
            return Route("device_id", 1.0, text, self.topics_in(text), upset=upset, reason="device id")
        if self._has("crisis", text) or _AT_RISK.search(text):
            return Route("distress", 0.95, text, crisis=True, upset=True, reason="risk to life")
        if self._has("refuse", text) or _PRETEND_STAFF.search(text) or _ENCODED.search(raw) or _ROLE_MARKER.search(raw):
            return Route("refuse", 0.9, text, upset=upset, reason="outside the role")
        if self._has("human", text):
            return Route("human", 0.9, text, upset=upset, reason="asked for a person")
        if not _LETTERS.search(text):  # emoji, punctuation: "?!?!" is not anger
            if self._only_smalltalk(text):
                return Route("smalltalk", 0.9, text, reason="small talk")
            return Route("nonsense", 0.8, text, reason="no words")
        if distressed:
            # empathy and a person; a question inside ("are my photos gone?") is answered too
            inner = self._about(text, faq)
            answerable = inner.intent in ("status", "device", "faq")
            return Route(
                "distress", 0.85, text, inner.topics if answerable else (), upset=True,
                faq_key=inner.faq_key if answerable else None, also=inner.intent if answerable else None,
                reason="upset",
            )
        if self._has("offtopic", text):
            return Route("offtopic", 0.8, text, reason="advice outside the incident")
        if self._only_smalltalk(text):
            return Route("smalltalk", 0.95, text, reason="small talk")
        if self.is_nonsense(text):
            return Route("nonsense", 0.8, text, reason="no known words")
        route = self._about(text, faq)
        if shouting and route.intent != "unknown":
            # shouting or "!!!!" alone: answer the question, and bring in a person too
            return replace(route, upset=True, reason=route.reason + ", shouting")
        if shouting:
            return Route("distress", 0.7, text, upset=True, reason="shouting")
        return route

    def _about(self, text: str, faq: FaqSearch | None) -> Route:
        topics = self.topics_in(text)
        status_cue = self._has("status", text)
        advice = self._has("advice", text)
        own_device = self._own_device.search(text) is not None
        if own_device and not topics and (status_cue or _OWN_DEVICE_VERB.search(text)) and not advice:
            return Route("device", 0.85, text, reason="own device")
        if topics and status_cue and not advice:
            return Route("status", 0.9, text, topics, reason="data type + status word")
        if _UPDATE_ASKED.search(text) and not advice:
            # "when's the next update?", "what did the last update say": the status has the answer, with its time
            return Route("status", 0.85, text, topics, reason="asks about an update")
        hit = faq(text) if faq is not None else None
        confident = hit is not None and hit[2] >= FAQ_CONFIDENT
        if status_cue and not advice and not topics:
            overall = self._has("overall", text) or len(text.split()) <= 3
            # a long message that an FAQ entry (not itself a status question) explains is about that entry:
            # "how long can the band hold data without syncing" is not asking for the progress
            specific = (
                hit is not None
                and len(text.split()) >= LONG_MESSAGE_WORDS
                and hit[2] >= FAQ_PLAUSIBLE
                and not self.asks_status(hit[1])
            )
            if not specific and (
                not confident
                or (hit is not None and self.asks_status(hit[1]))
                or (overall and hit is not None and hit[2] < FAQ_OVER_STATUS)
            ):
                # the status beats FAQ prose about the status ("When will it be fixed?" is answered from data)
                return Route("status", 0.8, text, reason="status word about the incident")
        if hit is not None and confident:
            return Route("faq", hit[2], text, topics, faq_key=hit[0], reason="faq match")
        if topics and not advice:
            return Route("status", 0.6, text, topics, reason="data type, no FAQ entry")
        if hit is not None:
            return Route("unknown", hit[2], text, faq_key=hit[0], reason="weak faq match")
        return Route("unknown", 0.0, text, reason="no match")

    def asks_status(self, question: str) -> bool:
        """An FAQ question that is itself about the status ("Is my data lost?"): live data answers it."""
        cached = self._status_questions.get(question)
        if cached is None:
            text = self.translate(normalize(question))
            cached = (
                self._has("status", text)
                and not self._has("advice", text)
                and (self._has("overall", text) or bool(self.topics_in(text)))
            )
            if len(self._status_questions) > 4096:
                self._status_questions.clear()
            self._status_questions[question] = cached
        return cached

    def _only_smalltalk(self, text: str) -> bool:
        pattern = self._re.get("smalltalk")
        if pattern is None or pattern.search(text) is None:
            return False
        rest = re.sub(r"[^\w]+", " ", pattern.sub(" ", text)).split()
        return all(w in _FILLER for w in rest)

    def _distressed(self, text: str) -> bool:
        pattern = self._re.get("distress")
        if pattern is not None:
            for m in pattern.finditer(text):
                if not _NEGATED.search(text, max(0, m.start() - 20), m.start()):  # "I'm not angry, just asking"
                    return True
        return False

    def _shouting(self, raw: str) -> bool:
        if _BANG.search(raw) or raw.count("!") >= 4:
            return True
        words = [w for w in _SHOUT_WORD.findall(raw) if w not in _ACRONYMS]
        caps = [w for w in words if w.isupper()]
        return len(caps) >= 3 and len(caps) >= 0.6 * len(words)


def _terms(text: str) -> list[str]:
    """Singular words, or the canonical word of a synonym group; no stop-word or "-e" stripping
    ("notes" must stay "note", not become "not")."""
    out = []
    for w in re.findall(r"[a-z0-9]+", ta.normalize(text)):
        if len(w) < 2:
            continue
        stemmed = ta.stem(w)
        if stemmed in ta.SYNONYMS:
            out.append(ta.SYNONYMS[stemmed])
        elif w.endswith("ies") and len(w) > 4:
            out.append(w[:-3] + "y")
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            out.append(w[:-1])
        else:
            out.append(w)
    return out


def build_router(path: str | Path, *, topics: Sequence[str] = (), vocabulary: Iterable[str] = ()) -> Router:
    return Router(load_intents(path), topics=topics, vocabulary=vocabulary)
