"""The FAQ the bot answers from, its retrieval, and the operator-edited prompt files.

`faq.md` holds one entry per level-2 heading (`## <question>`); the body up to the next
`## ` is the answer, and an optional first body line `Keywords: a, b, c` adds search terms.
`KnowledgeBase` keeps those entries plus the ones staff add at run time, and ranks them
for a customer's question with BM25 (see `bot.core.textsplit` for the text analysis).

`load_prompts(directory)` reads and validates `faq.md`, `safety.md` and `system.md`
together, so a typo in an operator's edit is reported (file, line, plain sentence)
before the bot starts using it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.core import textsplit as ta

if TYPE_CHECKING:
    from bot.core.safety import SafetyRules

log = logging.getLogger(__name__)

CONFIDENT = 0.5
# Words that change how a question is asked, not what it asks.
FILLER = frozenset({"urgent", "asap", "quick", "question"})
"""A hit whose confidence is at least this is a match the bot may answer from; below it is a guess."""

Source = Literal["file", "staff"]

_K1 = 1.2
_B = 0.75
_FIELD_WEIGHTS = {"question": 3.0, "keywords": 2.0, "answer": 1.0}
_UNKNOWN_UNITS = 0.6  # what a query word the FAQ has never seen weighs against the match
_SATURATION = 0.8  # matched "rare-word units" at which confidence reaches 1 - 1/e
_ANSWER_ONLY = 0.5  # a word found only in an answer body counts this much toward confidence
_RERANK = 10  # BM25 picks this many; confidence (with a little BM25) orders them
_KEYWORDS = re.compile(r"^keywords\s*:(.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


class KnowledgeError(ValueError):
    """An operator's file (or a staff edit) is invalid. `str()` names the file and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        where = ", ".join(p for p in (file, f"line {line}" if line else None) if p)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True, slots=True)
class FaqEntry:
    key: str
    question: str
    answer: str
    keywords: tuple[str, ...] = ()
    source: Source = "file"
    version: str = ""

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", entry_version(self.question, self.answer, self.keywords))


@dataclass(frozen=True, slots=True)
class Hit:
    entry: FaqEntry
    score: float  # raw BM25; only comparable within one search
    confidence: float  # 0..1; >= CONFIDENT means the bot may answer from this entry

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENT


def slugify(question: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:64].rstrip("-")
    return slug or "q-" + hashlib.sha256(question.encode()).hexdigest()[:10]


def entry_version(question: str, answer: str, keywords: Sequence[str]) -> str:
    blob = "\x00".join([question, answer, "\x1f".join(keywords)])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def make_entry(
    question: str, answer: str, keywords: Iterable[str] = (), source: Source = "staff", key: str | None = None
) -> FaqEntry:
    question = " ".join(question.split())
    answer = answer.strip()
    kws = tuple(k for k in (" ".join(w.split()).lower() for w in keywords) if k)
    if not question:
        raise KnowledgeError("The question is empty.")
    if not answer:
        raise KnowledgeError(f"The question {question!r} has no answer.")
    return FaqEntry(key or slugify(question), question, answer, kws, source)


# ---------------------------------------------------------------------------------------- parsing


def read_text(path: Path) -> str:
    """Read an operator file as UTF-8, with errors that name the file and line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"The file cannot be read ({exc.strerror}).", path.name) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise KnowledgeError(
            "The file is not valid UTF-8 text; save it as UTF-8 in your editor.", path.name, line
        ) from exc


def parse_faq(text: str, file: str = "faq.md") -> list[FaqEntry]:
    """Parse faq.md text. Headings inside ``` code blocks are not questions."""
    sections: list[tuple[int, str, list[str]]] = []
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            sections.append((number, line[3:].strip(), []))
        elif not in_fence and line.rstrip() == "##":
            sections.append((number, "", []))
        elif sections:
            sections[-1][2].append(line)
    if not sections:
        raise KnowledgeError("No questions found: each question must be a line starting with '## '.", file, 1)
    entries: list[FaqEntry] = []
    seen: dict[str, tuple[int, str]] = {}
    for number, question, body in sections:
        if not question:
            raise KnowledgeError("This '## ' heading has no question text after it.", file, number)
        lines = "\n".join(body).strip().splitlines()
        keywords: list[str] = []
        if lines and (m := _KEYWORDS.match(lines[0].strip())):
            keywords = m.group(1).split(",")
            lines = lines[1:]
        answer = "\n".join(lines).strip()
        if not answer:
            raise KnowledgeError(f"The question {question!r} has no answer below it.", file, number)
        entry = make_entry(question, answer, keywords, source="file")
        if entry.key in seen:
            first, other = seen[entry.key]
            raise KnowledgeError(
                f"The question {question!r} appears twice (first on line {first}"
                + ("" if other == question else f" as {other!r}")
                + "); merge or reword one of them.",
                file,
                number,
            )
        seen[entry.key] = (number, question)
        entries.append(entry)
    return entries


def load_faq(path: str | Path) -> list[FaqEntry]:
    path = Path(path)
    return parse_faq(read_text(path), path.name)


# -------------------------------------------------------------------------------------- the index


@dataclass(frozen=True, slots=True)
class _Posting:
    doc: int
    weight: float  # the term's BM25 contribution to this doc, idf included
    strong: bool  # found in the question or keywords, not only in the answer


class _Index:
    """An immutable BM25 index; the knowledge base swaps in a new one on every change."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self.entries = tuple(entries)
        n = len(self.entries)
        tfs: list[dict[str, float]] = []
        strong: list[set[str]] = []
        for entry in self.entries:
            tf: dict[str, float] = {}
            fields = {
                "question": ta.analyze(entry.question),
                "keywords": [t for kw in entry.keywords for t in ta.analyze(kw)],
                "answer": ta.analyze(entry.answer),
            }
            for name, terms in fields.items():
                for term in terms:
                    tf[term] = tf.get(term, 0.0) + _FIELD_WEIGHTS[name]
            tfs.append(tf)
            strong.append(set(fields["question"]) | set(fields["keywords"]))
        lengths = [sum(tf.values()) for tf in tfs]
        avgdl = (sum(lengths) / n) if n else 1.0
        df: dict[str, int] = {}
        df_strong: dict[str, int] = {}
        for tf, strong_terms in zip(tfs, strong, strict=True):
            for term in tf:
                df[term] = df.get(term, 0) + 1
            for term in strong_terms:
                df_strong[term] = df_strong.get(term, 0) + 1

        def idf(d: int) -> float:
            return math.log(1 + (n - d + 0.5) / (d + 0.5))

        self.idf = {t: idf(d) for t, d in df.items()}
        idf_max = idf(1) if n else 1.0
        # Confidence weighs a word by how few *questions* (with keywords) it points to.
        self.rel = {t: min(1.0, idf(df_strong.get(t) or d) / idf_max) if idf_max > 0 else 1.0 for t, d in df.items()}
        self.postings: dict[str, list[_Posting]] = {}
        for doc, tf in enumerate(tfs):
            norm = _K1 * (1 - _B + _B * lengths[doc] / avgdl)
            for term, f in tf.items():
                w = self.idf[term] * f * (_K1 + 1) / (f + norm)
                self.postings.setdefault(term, []).append(_Posting(doc, w, term in strong[doc]))
        self.fuzzy = ta.FuzzyLexicon(set(df) | ta.SYNONYM_SOURCES)
        self._cache: dict[str, list[tuple[str | None, float]]] = {}

    def query_terms(self, query: str) -> list[tuple[str | None, float]]:
        """(indexed term or None for an unknown word, weight) for each distinct query word."""
        cached = self._cache.get(query)
        if cached is not None:
            return cached
        out: dict[str, tuple[str | None, float]] = {}
        for raw in ta.analyze(query, synonyms=False):
            term = ta.canonical(raw)
            if term in out or raw in out:
                continue
            if term in self.postings:
                out[term] = (term, 1.0)
                continue
            fixed = self.fuzzy.correct(raw)
            fixed_term = ta.canonical(fixed[0]) if fixed else None
            if fixed and fixed_term in self.postings:
                out[raw] = (fixed_term, fixed[1])
            else:
                out[raw] = (None, 0.0)
        result = list(out.values())
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[query] = result
        return result

    def search(self, query: str, k: int) -> list[Hit]:
        terms = self.query_terms(query[:2000])
        known = [(t, w) for t, w in terms if t is not None]
        if not known or k <= 0:
            return []
        scores: dict[int, float] = {}
        matched: dict[int, float] = {}
        for term, w in known:
            rel = self.rel[term]
            for p in self.postings[term]:
                scores[p.doc] = scores.get(p.doc, 0.0) + w * p.weight
                matched[p.doc] = matched.get(p.doc, 0.0) + w * rel * (1.0 if p.strong else _ANSWER_ONLY)
        total = sum(self.rel[t] if t is not None else _UNKNOWN_UNITS for t, _ in terms)
        pool = sorted(scores, key=lambda d: (-scores[d], d))[: max(k, _RERANK)]
        top = scores[pool[0]]
        ranked = []
        for doc in pool:
            mass = matched[doc]
            coverage = min(1.0, mass / total) if total else 0.0
            confidence = min(1.0, (1 - math.exp(-mass / _SATURATION)) * (0.4 + 0.6 * coverage))
            ranked.append((confidence + 0.25 * scores[doc] / top, doc, confidence))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        hits = [Hit(self.entries[d], round(scores[d], 4), round(c, 4)) for _, d, c in ranked[:k]]
        return hits


# -------------------------------------------------------------------------------- knowledge base


class KnowledgeBase:
    """FAQ entries from files, overlaid by staff edits made at run time.

    The effective entries are the file entries, with a staff entry of the same key
    replacing the file's, minus the keys staff removed. `reload()` re-reads the files
    and keeps the staff edits. `version` changes whenever any effective entry changes.
    """

    def __init__(
        self,
        entries: Iterable[FaqEntry] = (),
        *,
        paths: Sequence[str | Path] = (),
        staff_entries: Iterable[FaqEntry] = (),
        removed_keys: Iterable[str] = (),
    ) -> None:
        self._paths = tuple(Path(p) for p in paths)
        self._base = list(entries)
        self._staff: dict[str, FaqEntry] = {e.key: replace(e, source="staff") for e in staff_entries}
        self._removed: set[str] = set(removed_keys)
        self._file_entries: list[FaqEntry] = self._read_files() if self._paths else []
        self._rebuild()

    @classmethod
    def from_files(cls, *paths: str | Path) -> KnowledgeBase:
        return cls(paths=paths)

    def _read_files(self) -> list[FaqEntry]:
        entries: list[FaqEntry] = []
        where: dict[str, str] = {}
        for path in self._paths:
            for entry in load_faq(path):
                if entry.key in where:
                    raise KnowledgeError(f"The question {entry.question!r} is also in {where[entry.key]}.", path.name)
                where[entry.key] = path.name
                entries.append(entry)
        return entries

    def _rebuild(self) -> None:
        merged: dict[str, FaqEntry] = {}
        for entry in [*self._base, *self._file_entries]:
            merged.setdefault(entry.key, entry)
        merged.update(self._staff)
        for key in self._removed:
            merged.pop(key, None)
        entries = tuple(merged.values())
        digest = hashlib.sha256()
        for entry in sorted(entries, key=lambda e: e.key):
            digest.update(f"{entry.key}\x00{entry.version}\x00".encode())
        self._version = digest.hexdigest()[:16]
        self._index = _Index(entries)

    @property
    def version(self) -> str:
        return self._version

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self._index.entries

    @property
    def staff_entries(self) -> tuple[FaqEntry, ...]:
        """Staff additions and replacements, for whoever persists them."""
        return tuple(self._staff.values())

    @property
    def removed_keys(self) -> frozenset[str]:
        return frozenset(self._removed)

    def __len__(self) -> int:
        return len(self._index.entries)

    def get(self, key: str) -> FaqEntry | None:
        return next((e for e in self._index.entries if e.key == key), None)

    def _check_question_free(self, question: str, except_key: str | None = None) -> None:
        wanted = slugify(question)
        for e in self._index.entries:
            if e.key != except_key and (e.key == wanted or slugify(e.question) == wanted):
                raise KnowledgeError(f"There is already an entry for {e.question!r} (key {e.key!r}).")

    def add(self, question: str, answer: str, keywords: Iterable[str] = ()) -> FaqEntry:
        entry = make_entry(question, answer, keywords, source="staff")
        self._check_question_free(entry.question)
        self._staff[entry.key] = entry
        self._removed.discard(entry.key)
        self._rebuild()
        log.info("FAQ entry %s added by staff", entry.key)
        return entry

    def replace(
        self,
        key: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        keywords: Iterable[str] | None = None,
    ) -> FaqEntry:
        """Change an entry (from a file or staff); it keeps its key and becomes a staff entry."""
        old = self.get(key)
        if old is None:
            raise KnowledgeError(f"There is no FAQ entry with key {key!r}.")
        entry = make_entry(
            old.question if question is None else question,
            old.answer if answer is None else answer,
            old.keywords if keywords is None else keywords,
            source="staff",
            key=key,
        )
        self._check_question_free(entry.question, except_key=key)
        self._staff[key] = entry
        self._rebuild()
        log.info("FAQ entry %s replaced by staff", key)
        return entry

    def remove(self, key: str) -> FaqEntry:
        old = self.get(key)
        if old is None:
            raise KnowledgeError(f"There is no FAQ entry with key {key!r}.")
        self._staff.pop(key, None)
        if any(e.key == key for e in [*self._base, *self._file_entries]):
            self._removed.add(key)
        self._rebuild()
        log.info("FAQ entry %s removed by staff", key)
        return old

    def reload(self) -> None:
        """Re-read the files. On an error the current entries stay in use and the error is raised."""
        self._file_entries = self._read_files()
        self._rebuild()
        log.info("FAQ reloaded: %d entries, version %s", len(self), self._version)

    def key_terms(self, query: str) -> list[str]:
        """The question reduced to its distinct, typo-corrected, canonical terms, sorted.

        Two phrasings with the same key ask the same thing of this FAQ (used for the answer cache).
        """
        terms = set()
        for raw in ta.analyze(query[:2000], synonyms=False):
            term = ta.canonical(raw)
            if term in FILLER:
                continue
            fixed = self._index.query_terms(raw)
            indexed = fixed[0][0] if fixed else None
            terms.add(indexed or term)
        return sorted(terms)

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The k best entries for a question, best first; [] when nothing in it is known."""
        return self._index.search(query, k)


def format_faq(entries: Iterable[FaqEntry]) -> str:
    """Entries as text for the {faq} placeholder of the system prompt."""
    return "\n\n".join(f"Q: {e.question}\nA: {e.answer}" for e in entries)


# -------------------------------------------------------------------------------------- prompts

SYSTEM_PLACEHOLDERS = frozenset({"company", "faq", "status", "status_as_of", "instructions", "devices"})


@dataclass(frozen=True, slots=True)
class Prompts:
    directory: Path
    system_template: str
    faq: tuple[FaqEntry, ...]
    safety: SafetyRules

    def render_system(self, values: Mapping[str, str]) -> str:
        missing = SYSTEM_PLACEHOLDERS - set(values)
        if missing:
            raise KeyError(f"missing values for {sorted(missing)}")
        return self.system_template.format_map({k: values[k] for k in SYSTEM_PLACEHOLDERS})


def parse_system_template(text: str, file: str = "system.md") -> str:
    """Check that the template has every placeholder and no unknown one."""
    found: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(line) if f is not None]
        except ValueError as exc:
            raise KnowledgeError(
                f"Unmatched brace ({exc}); write a literal {{ or }} as {{{{ or }}}}.", file, number
            ) from exc
        for name in fields:
            if name not in SYSTEM_PLACEHOLDERS:
                raise KnowledgeError(
                    f"Unknown placeholder {{{name}}}; the known ones are "
                    + ", ".join("{" + p + "}" for p in sorted(SYSTEM_PLACEHOLDERS))
                    + ".",
                    file,
                    number,
                )
            found.add(name)
    missing = SYSTEM_PLACEHOLDERS - found
    if missing:
        raise KnowledgeError("The prompt must contain " + ", ".join("{" + p + "}" for p in sorted(missing)) + ".", file)
    return text


def load_prompts(directory: str | Path) -> Prompts:
    """Read and validate faq.md, safety.md and system.md from one directory."""
    from bot.core.safety import parse_safety  # safety imports KnowledgeError from here

    directory = Path(directory)
    faq = load_faq(directory / "faq.md")
    safety = parse_safety(read_text(directory / "safety.md"), "safety.md")
    system = parse_system_template(read_text(directory / "system.md"), "system.md")
    return Prompts(directory, system, tuple(faq), safety)
