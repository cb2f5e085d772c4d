"""What on-call watches, for Prometheus.

Two kinds of figures. What every process shares is read from the database at each scrape, so any instance
tells the same story: answers by source, hand-overs, the outbox queue, the feed's health. What is the
process's own is counted here: LLM latency and errors, the events it claimed or left to another instance,
the notices it delivered, its Discord rate-limit waits and gateway latency.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import AnswerRecord, Outbox, Ticket, utcnow

UNRECORDED = "unrecorded"  # the intent label of answers without one (rate-limited, or recorded before 0010)
LLM_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


@dataclass
class Shared:
    """Figures from the database, the same whichever instance is asked."""

    answers: dict[tuple[str, str], int] = field(default_factory=dict)  # by source, intent
    handovers: dict[tuple[str, str], int] = field(default_factory=dict)  # by reason, status
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # by route, status
    feed_configured: bool = False
    feed_paused: bool = False
    feed_last_good_at: datetime | None = None
    feed_failures: int = 0


@dataclass
class Local:
    """This process's own figures, read from the objects that keep them."""

    claims_won: int = 0
    claims_lost: int = 0
    delivered: int = 0
    rate_limited: int = 0
    gateway_latency_seconds: float | None = None


async def read_shared(db: Database) -> Shared:
    out = Shared()
    async with db.sessions() as s:
        rows = await s.execute(
            select(col(AnswerRecord.source), col(AnswerRecord.intent), func.count()).group_by(
                col(AnswerRecord.source), col(AnswerRecord.intent)
            )
        )
        out.answers = {(str(source), str(intent or UNRECORDED)): int(n) for source, intent, n in rows}
        tickets = await s.execute(
            select(col(Ticket.reason), col(Ticket.status), func.count()).group_by(
                col(Ticket.reason), col(Ticket.status)
            )
        )
        out.handovers = {(str(r), str(st)): int(n) for r, st, n in tickets}
        outbox = await s.execute(
            select(col(Outbox.kind), col(Outbox.status), func.count()).group_by(col(Outbox.kind), col(Outbox.status))
        )
        out.outbox = {(str(k), str(st)): int(n) for k, st, n in outbox}
    return out


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.llm_seconds = Histogram(
            "supportbot_llm_seconds",
            "Time an LLM answer took, retries included, by outcome",
            ["outcome"],
            buckets=LLM_BUCKETS,
            registry=self.registry,
        )
        self.llm_errors = Counter(
            "supportbot_llm_errors", "LLM answers that failed, by reason", ["reason"], registry=self.registry
        )
        self._shared: Shared | None = None
        self._local = Local()
        self.registry.register(_Snapshot(self))

    def observe_llm(self, seconds: float, error: str | None) -> None:
        self.llm_seconds.labels("error" if error else "ok").observe(seconds)
        if error:
            self.llm_errors.labels(error).inc()

    def timed_llm(self) -> Callable[[str | None], None]:
        """Start timing one LLM answer; call the result with the error (or None) when it ends."""
        started = time.monotonic()
        return lambda error: self.observe_llm(time.monotonic() - started, error)

    def render(self, shared: Shared | None, local: Local) -> bytes:
        """The text format; `shared` is None when the database cannot be read (its figures are left out)."""
        self._shared, self._local = shared, local
        return generate_latest(self.registry)


class _Snapshot(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics

    def collect(self) -> Iterable[Metric]:
        sh, lo = self.m._shared, self.m._local
        yield from self._local(lo)
        if sh is not None:
            yield from self._shared(sh)

    def _shared(self, sh: Shared) -> Iterable[Metric]:
        questions = GaugeMetricFamily(
            "supportbot_questions_stored", "Questions on record, by the intent the router found", labels=["intent"]
        )
        by_intent: dict[str, int] = {}
        for (_, intent), n in sh.answers.items():
            by_intent[intent] = by_intent.get(intent, 0) + n
        for intent, n in sorted(by_intent.items()):
            questions.add_metric([intent], n)
        yield questions
        answers = GaugeMetricFamily(
            "supportbot_answers_stored", "Answers on record, by source and intent", labels=["source", "intent"]
        )
        for (source, intent), n in sorted(sh.answers.items()):
            answers.add_metric([source, intent], n)
        yield answers
        handovers = GaugeMetricFamily(
            "supportbot_handovers", "Hand-overs to staff on record, by reason and status", labels=["reason", "status"]
        )
        for (reason, status), n in sorted(sh.handovers.items()):
            handovers.add_metric([reason, status], n)
        yield handovers
        outbox = GaugeMetricFamily(
            "supportbot_outbox_rows", "Outbox rows by route and status (pending: the queue)", labels=["route", "status"]
        )
        for (route, status), n in sorted(sh.outbox.items()):
            outbox.add_metric([route, status], n)
        yield outbox
        if sh.feed_configured:
            age = GaugeMetricFamily("supportbot_feed_age_seconds", "Seconds since the last good status feed fetch")
            if sh.feed_last_good_at is not None:
                age.add_metric([], (utcnow() - sh.feed_last_good_at).total_seconds())
            yield age
            yield GaugeMetricFamily("supportbot_feed_failures", "Failed feed polls in a row", value=sh.feed_failures)
            yield GaugeMetricFamily("supportbot_feed_paused", "1 while staff pause the feed", value=sh.feed_paused)

    def _local(self, lo: Local) -> Iterable[Metric]:
        events = CounterMetricFamily(
            "supportbot_events", "Incoming events this process handled or left to another instance", labels=["claim"]
        )
        events.add_metric(["won"], lo.claims_won)
        events.add_metric(["lost"], lo.claims_lost)
        yield events
        yield CounterMetricFamily(
            "supportbot_outbox_delivered", "Notices this process delivered", value=lo.delivered
        )
        yield CounterMetricFamily(
            "supportbot_rate_limited", "Discord 429 responses this process received", value=lo.rate_limited
        )
        if lo.gateway_latency_seconds is not None:
            yield GaugeMetricFamily(
                "supportbot_gateway_latency_seconds", "Gateway heartbeat latency", value=lo.gateway_latency_seconds
            )
