"""The FAQ the bot answers from: its entries, the faq.md parser, and the `KnowledgeBase`.

`faq.md` holds one entry per level-2 heading (`## <question>`); the body up to the next
`## ` is the answer, and an optional first body line `Keywords: a, b, c` adds search terms.
`KnowledgeBase` keeps those entries plus the ones staff add at run time, and ranks them
for a customer's question (`bot.core.retrieval`). The system prompt and safety rules that
are loaded beside the FAQ are `bot.core.prompts`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from bot.core.errors import KnowledgeError
from bot.core.retrieval import Index
from bot.core.text import terms as ta

log = logging.getLogger(__name__)

CONFIDENT = 0.5
"""A hit whose confidence is at least this is a match the bot may answer from; below it is a guess."""
# Words that change how a question is asked, not what it asks.
FILLER = frozenset({"urgent", "asap", "quick", "question"})

Source = Literal["file", "staff"]

_KEYWORDS = re.compile(r"^keywords\s*:(.*)$", re.IGNORECASE)
_STATES = re.compile(r"^states\s*:(.*)$", re.IGNORECASE)
INCIDENT_STATES = frozenset(
    {"investigating", "identified", "monitoring", "recovering", "resolved", "postmortem", "scheduled", "in_progress",
     "verifying", "completed"}
)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass(frozen=True, slots=True)
class FaqEntry:
    key: str
    question: str
    answer: str
    keywords: tuple[str, ...] = ()
    source: Source = "file"
    version: str = ""
    states: tuple[str, ...] = ()  # incident states the entry applies to (empty: any); see prompts/README.md

    def __post_init__(self) -> None:
        if not self.version:
            blob_keywords = (*self.keywords, *(f"state:{s}" for s in self.states))
            object.__setattr__(self, "version", entry_version(self.question, self.answer, blob_keywords))


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
    question: str,
    answer: str,
    keywords: Iterable[str] = (),
    source: Source = "staff",
    key: str | None = None,
    states: Iterable[str] = (),
) -> FaqEntry:
    question = " ".join(question.split())
    answer = answer.strip()
    kws = tuple(k for k in (" ".join(w.split()).lower() for w in keywords) if k)
    if not question:
        raise KnowledgeError("The question is empty.")
    if not answer:
        raise KnowledgeError(f"The question {question!r} has no answer.")
    wanted = tuple(s.strip().lower().replace(" ", "_") for s in states if s.strip())
    unknown = [s for s in wanted if s not in INCIDENT_STATES]
    if unknown:
        raise KnowledgeError(
            f"Unknown state {unknown[0]!r} for {question!r}; use some of: " + ", ".join(sorted(INCIDENT_STATES)) + "."
        )
    return FaqEntry(key or slugify(question), question, answer, kws, source, states=wanted)


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
        states: list[str] = []
        for _ in range(2):  # `Keywords:` and `States:`, in either order, before the answer
            if lines and (m := _KEYWORDS.match(lines[0].strip())):
                keywords = m.group(1).split(",")
                lines = lines[1:]
            elif lines and (m := _STATES.match(lines[0].strip())):
                states = m.group(1).split(",")
                lines = lines[1:]
        answer = "\n".join(lines).strip()
        if not answer:
            raise KnowledgeError(f"The question {question!r} has no answer below it.", file, number)
        try:
            entry = make_entry(question, answer, keywords, source="file", states=states)
        except KnowledgeError as exc:
            raise KnowledgeError(exc.message, file, number) from None
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
        self._entries = entries
        self._index = Index(entries)

    @property
    def version(self) -> str:
        return self._version

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self._entries

    @property
    def staff_entries(self) -> tuple[FaqEntry, ...]:
        """Staff additions and replacements, for whoever persists them."""
        return tuple(self._staff.values())

    @property
    def removed_keys(self) -> frozenset[str]:
        return frozenset(self._removed)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> FaqEntry | None:
        return next((e for e in self._entries if e.key == key), None)

    def _check_question_free(self, question: str, except_key: str | None = None) -> None:
        wanted = slugify(question)
        for e in self._entries:
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
            states=old.states,  # a staff edit keeps the operator's States line
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
        return [Hit(self._entries[r.doc], r.score, r.confidence) for r in self._index.search(query, k)]
