"""BM25 retrieval over question/answer documents, with a confidence that the best match is right.

Each document has three fields, weighted question > keywords > answer. `Index` is immutable:
whoever owns the documents (the `KnowledgeBase`) builds a new one on every change. A query is
analysed like the documents (`bot.core.text.terms`), with typos corrected against the index's
vocabulary; BM25 picks a pool of candidates and a confidence (how much of the query's rare words
a document explains, in its question or keywords rather than only its answer) re-ranks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.text import terms as ta

__all__ = ["Document", "Index", "Ranked"]

_K1 = 1.2
_B = 0.75
_FIELD_WEIGHTS = {"question": 3.0, "keywords": 2.0, "answer": 1.0}
_UNKNOWN_UNITS = 0.6  # what a query word the FAQ has never seen weighs against the match
_SATURATION = 0.8  # matched "rare-word units" at which confidence reaches 1 - 1/e
_ANSWER_ONLY = 0.5  # a word found only in an answer body counts this much toward confidence
_RERANK = 10  # BM25 picks this many; confidence (with a little BM25) orders them


class Document(Protocol):
    """What the index reads from each entry (an FAQ entry, for one)."""

    @property
    def question(self) -> str: ...

    @property
    def keywords(self) -> tuple[str, ...]: ...

    @property
    def answer(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Ranked:
    doc: int  # position of the document in the sequence the index was built from
    score: float  # raw BM25, rounded; only comparable within one search
    confidence: float  # 0..1, rounded


@dataclass(frozen=True, slots=True)
class _Posting:
    doc: int
    weight: float  # the term's BM25 contribution to this doc, idf included
    strong: bool  # found in the question or keywords, not only in the answer


class Index:
    """An immutable BM25 index over a sequence of documents."""

    def __init__(self, docs: Sequence[Document]) -> None:
        n = len(docs)
        tfs: list[dict[str, float]] = []
        strong: list[set[str]] = []
        for doc in docs:
            tf: dict[str, float] = {}
            fields = {
                "question": ta.analyze(doc.question),
                "keywords": [t for kw in doc.keywords for t in ta.analyze(kw)],
                "answer": ta.analyze(doc.answer),
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
        for doc_no, tf in enumerate(tfs):
            norm = _K1 * (1 - _B + _B * lengths[doc_no] / avgdl)
            for term, f in tf.items():
                w = self.idf[term] * f * (_K1 + 1) / (f + norm)
                self.postings.setdefault(term, []).append(_Posting(doc_no, w, term in strong[doc_no]))
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

    def search(self, query: str, k: int) -> list[Ranked]:
        """The k best documents, best first; [] when no word of the query is known."""
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
        pool = sorted(sorted(scores), key=scores.__getitem__, reverse=True)[: max(k, _RERANK)]  # ties: earlier doc
        top = scores[pool[0]]
        ranked = []
        for doc in pool:
            mass = matched[doc]
            coverage = min(1.0, mass / total) if total else 0.0
            confidence = min(1.0, (1 - math.exp(-mass / _SATURATION)) * (0.4 + 0.6 * coverage))
            ranked.append((confidence + 0.25 * scores[doc] / top, doc, confidence))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return [Ranked(d, round(scores[d], 4), round(c, 4)) for _, d, c in ranked[:k]]
