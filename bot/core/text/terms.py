"""Text -> search terms, for the FAQ's retrieval (`bot.core.retrieval`) and statistics.

NFKC + casefold, domain phrases folded into one term ("address book" -> contact), English stop
words dropped, a light suffix stemmer (plurals, -ing, -ed, final e), domain synonyms mapped to one
canonical term (pics -> photo), and `FuzzyLexicon` to correct typos (symmetric-delete candidates,
verified by Damerau-Levenshtein distance).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_STOP_TEXT = """a about after again all also am an and any anything are as at be been before being but by
    ca can cannot could did do does doing done dont for from get gets getting got had has have
    having he her here hers him his how i id if im in into is it its ive just let lets me might
    more most much must my myself need no nor not now of off ok okay on once only or other our
    ours out over own please pls plz same shall she should so some something still such than
    thank thanks thx that the their them then there these they this those through to too u under
    until up ur us very was we were what whats which while who whom why will with wo would yes
    you your yours yourself where hi hello hey dear help guys guy team really anyone someone's"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Multi-word phrases folded into one word before tokenising (longest match first).
PHRASES: dict[str, str] = {
    "address book": "contacts",
    "phone book": "contacts",
    "phonebook": "contacts",
    "factory reset": "reset",
    "factory settings": "reset",
    "factory restore": "reset",
    "hard reset": "reset",
    "master reset": "reset",
    "device id": "imei",
    "device ids": "imei",
    "device number": "imei",
    "serial number": "imei",
    "imei number": "imei",
    "log in": "login",
    "sign in": "login",
    "log on": "login",
    "log out": "logout",
    "sign out": "logout",
    "turn off": "poweroff",
    "switch off": "poweroff",
    "power off": "poweroff",
    "shut down": "poweroff",
    "run flat": "flat",
    "run out": "flat",
    "runs out": "flat",
    "run down": "flat",
    "back up": "backup",
    "real person": "human",
    "human being": "human",
    "customer service": "human",
    "support staff": "human",
    "how long": "when",
    "direct message": "dm",
    "direct messages": "dm",
    "get back": "restore",
    "take out": "remove",
    "taking out": "remove",
    "pull out": "remove",
    "come back": "restore",
}
_PHRASE_RE = re.compile(
    r"\b(?:"
    + "|".join(re.escape(p).replace(r"\ ", r"[\s_-]+") for p in sorted(PHRASES, key=len, reverse=True))
    + r")\b"
)

# canonical word -> words that mean the same here (all are stemmed at import).
_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "phone": ("device", "handset", "sidekick", "hiptop", "mobile", "cellphone", "smartphone", "cell"),
    "photo": ("picture", "pic", "pix", "image", "photograph", "snapshot", "selfie"),
    "contact": ("contacts", "addressbook", "numbers"),
    "calendar": ("appointment", "event", "schedule", "agenda", "meeting", "reminder"),
    "reset": ("wipe", "erase", "reformat", "format"),
    "lost": ("lose", "gone", "missing", "disappeared", "vanished", "deleted", "delete", "losing"),
    "restore": ("recover", "recovery", "retrieve", "restoration"),
    "human": ("person", "agent", "representative", "rep", "staff", "operator", "somebody", "people"),
    "compensation": ("refund", "credit", "reimburse", "reimbursement", "compensate", "money", "discount"),
    "private": ("privacy", "confidential", "secure", "security"),
    "message": ("sms", "text", "texts", "messages", "mms"),
    "sync": ("synchronize", "synchronise", "synchronization", "synchronisation"),
    "imei": ("meid", "imeisv", "esn"),
    "flat": ("dead", "die", "dies", "drain", "drained", "empty"),
    "outage": ("incident", "breakdown", "failure", "crash", "disruption", "downtime"),
    "when": ("eta", "timeline", "timeframe", "soon", "date"),
    "remove": ("pull", "unplug", "removal", "extract"),
    "update": ("notification", "notify", "notified", "alert", "subscribe"),
    "broken": ("frozen", "stuck", "crashing", "freeze"),
}


_STEM_EXCEPTIONS = {"news": "news", "always": "always", "series": "series", "wrong": "wrong"}


def stem(word: str) -> str:
    """A light English suffix stripper: consistent, not linguistically exact."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word in _STEM_EXCEPTIONS:
        return _STEM_EXCEPTIONS[word]
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


SYNONYMS: dict[str, str] = {
    stem(w): stem(canon) for canon, words in _SYNONYM_GROUPS.items() for w in words if stem(w) != stem(canon)
}
SYNONYM_SOURCES = frozenset(SYNONYMS)
_STOP_STEMS = frozenset(stem(w) for w in STOP_WORDS)
_WORD = re.compile(r"[a-z0-9]+")


def canonical(term: str) -> str:
    return SYNONYMS.get(term, term)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"'(?:s|re|ve|ll|d|m)\b", "", text)
    return _PHRASE_RE.sub(lambda m: " " + PHRASES[" ".join(re.split(r"[\s_-]+", m.group(0)))] + " ", text)


def analyze(text: str, synonyms: bool = True) -> list[str]:
    """Text -> search terms (with repeats, in order)."""
    out: list[str] = []
    for token in _WORD.findall(normalize(text)):
        if len(token) < 2 or token in STOP_WORDS:
            continue
        term = stem(token)
        if term in _STOP_STEMS:
            continue
        out.append(canonical(term) if synonyms else term)
    return out


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance, or limit + 1 once it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class FuzzyLexicon:
    """Typo correction against a fixed vocabulary, precomputed (SymSpell-style deletes)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(w for w in words if len(w) >= 4 and not w.isdigit())
        self._by_delete: dict[str, set[str]] = {}
        self._seen: dict[str, tuple[str, float] | None] = {}
        for w in self.words:
            for variant in _deletes(w) | {w}:
                self._by_delete.setdefault(variant, set()).add(w)

    def correct(self, word: str) -> tuple[str, float] | None:
        """(the closest known word, a weight < 1) or None. Short words must keep their first letter."""
        if len(word) < 4 or word.isdigit():
            return None
        try:
            return self._seen[word]  # the same words come back all day
        except KeyError:
            pass
        found = self._correct(word)
        if len(self._seen) >= 20_000:
            self._seen.clear()
        self._seen[word] = found
        return found

    def _correct(self, word: str) -> tuple[str, float] | None:
        limit = 1 if len(word) <= 6 else 2
        candidates: set[str] = set()
        for variant in _deletes(word) | {word}:
            candidates |= self._by_delete.get(variant, set())
        best: tuple[int, str] | None = None
        for cand in candidates:
            if len(word) <= 5 and cand[0] != word[0]:
                continue
            d = edit_distance(word, cand, limit)
            if d <= limit and (best is None or (d, cand) < best):
                best = (d, cand)
        if best is None:
            return None
        return best[1], 0.85 if best[0] <= 1 else 0.7
