"""Understanding a message and drafting the offline reply: the router, the hybrid FAQ retrieval and
composition from data, kept in step with the FAQ (staff edits) and the live status (its data types).

The answerer calls `route()` on every message, then `draft()`; the LLM path uses the same route.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.core.compose import DeviceFacts, Draft, StatusFacts, compose, plausible_reply
from bot.core.contradict import contradictions, overall_contradiction
from bot.core.intent_phrases import IntentPhrases, load_intents
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.router import FAQ_CONFIDENT, FAQ_PLAUSIBLE, Route, Router
from bot.core.semantic import Embedder, HybridRetriever
from bot.core.text import terms as ta

log = logging.getLogger(__name__)

DEFAULT_INTENTS = Path(__file__).resolve().parents[2] / "prompts" / "intents.md"


def intents_for(prompts_dir: str | Path | None) -> IntentPhrases:
    """The operator's intents.md, or the shipped one when their prompts folder has none."""
    path = Path(prompts_dir) / "intents.md" if prompts_dir is not None else DEFAULT_INTENTS
    return load_intents(path if path.is_file() else DEFAULT_INTENTS)


class Understanding:
    def __init__(
        self, knowledge: KnowledgeBase, intents: IntentPhrases, embedder: Embedder | None, company: str
    ) -> None:
        self.knowledge = knowledge
        self.company = company
        self.retriever = HybridRetriever(knowledge, embedder)
        self.intents = intents
        self._faq_version = ""
        self._topics: tuple[str, ...] = ()
        self.router = self._build_router()
        # incident-day questions repeat: a route depends only on the text, the FAQ and the data types
        self._routes: dict[tuple[str, bool], Route] = {}
        self._applies: dict[tuple[str, str, int], bool] = {}

    def _build_router(self) -> Router:
        vocabulary: set[str] = set()
        for e in self.knowledge.entries:
            vocabulary.update(ta.analyze(f"{e.question} {' '.join(e.keywords)} {e.answer}", synonyms=False))
        self._faq_version = self.knowledge.version
        return Router(self.intents, topics=self._topics, vocabulary=vocabulary)

    def _sync(self, status: StatusFacts | None) -> None:
        if self._faq_version != self.knowledge.version:
            self.router = self._build_router()
            self._topics = ()
            self._routes.clear()
            self._applies.clear()
        topics = status.topics if status is not None else ()
        if topics != self._topics:
            self._topics = topics
            self.router.set_topics(topics)
            self._routes.clear()

    def route(self, clean: str, *, device_id_found: bool, status: StatusFacts | None) -> Route:
        self._sync(status)
        key = (clean, device_id_found)
        route = self._routes.get(key)
        if route is None:
            route = self.router.route(clean, device_id_found=device_id_found, faq=self.retriever.best)
            if len(self._routes) > 20_000:
                self._routes.clear()
            self._routes[key] = route
        return route

    def applies(self, entry: FaqEntry, status: StatusFacts | None) -> bool:
        """False when the live status has overtaken the entry: it is not quoted then."""
        key = (entry.key, entry.version, hash(status))
        known = self._applies.get(key)
        if known is None:
            known = self._applies[key] = self._check(entry, status)
            if len(self._applies) > 4096:
                self._applies.clear()
        return known

    def _check(self, entry: FaqEntry, status: StatusFacts | None) -> bool:
        states = entry.states
        if states and status is not None and status.state not in states:
            return False
        aliases = dict(self.intents.topic_aliases)
        return not (overall_contradiction(entry.answer, status) or contradictions(entry.answer, status, aliases))

    def draft(self, route: Route, status: StatusFacts | None, devices: Sequence[DeviceFacts] = ()) -> Draft:
        if route.intent == "distress" and route.also is not None and not route.crisis:
            first = compose(route, company=self.company, status=status)
            inner = self.draft(
                Route(route.also, route.confidence, route.text, route.topics, faq_key=route.faq_key), status, devices
            )
            text = first.text + "\n\n" + inner.text
            return replace(first, text=text, faq_keys=inner.faq_keys, status_line=inner.status_line)
        if route.intent == "status" and status is None and not devices:
            # no status published yet: the FAQ's own words about it are the best we have
            hit = self.retriever.best(route.text)
            if hit is not None and hit[2] >= FAQ_CONFIDENT:
                route = Route("faq", hit[2], route.text, route.topics, faq_key=hit[0], reason="status, none published")
        if route.intent == "unknown" and route.faq_key and route.confidence >= FAQ_PLAUSIBLE:
            guess = self.knowledge.get(route.faq_key)
            if guess is not None and self.applies(guess, status):
                text = plausible_reply(guess.answer)
                return Draft(text, "faq", faq_keys=(guess.key,), offer_human=True)
        entry = self.knowledge.get(route.faq_key) if route.intent == "faq" and route.faq_key else None
        if entry is not None and not self.applies(entry, status):
            log.info("FAQ entry %s is overtaken by the live status; answering from the status", entry.key)
            route = Route("status", route.confidence, route.text, route.topics, reason="faq overtaken by status")
            entry = None
        return compose(
            route,
            company=self.company,
            status=status,
            devices=devices,
            faq_key=entry.key if entry else None,
            faq_answer=entry.answer if entry else None,
        )

    def search(self, text: str, k: int = 3) -> list[FaqEntry]:
        """The k best FAQ entries (for the LLM's grounding), best first."""
        out = []
        for m in self.retriever.search(text, k):
            entry = self.knowledge.get(m.key)
            if entry is not None:
                out.append(entry)
        return out
