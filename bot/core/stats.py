"""Incident statistics for staff, and an hourly chart rendered headless with matplotlib."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import AnswerRecord, Device, Outbox, Ticket, utcnow
from bot.core.text.terms import analyze


@dataclass(frozen=True, slots=True)
class Stats:
    registrations: int
    customers_with_devices: int
    questions: int
    by_source: dict[str, int]
    handovers: int
    handovers_failed: int
    helpful: int
    not_helpful: int
    resolved_without_staff: float  # share of questions answered and not handed over
    unreachable_customers: int
    gaps: list[tuple[str, int]] = field(default_factory=list)  # the most frequent questions the bot could not answer

    def lines(self) -> list[str]:
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.by_source.items())) or "none yet"
        out = [
            f"Registrations: {self.registrations} devices from {self.customers_with_devices} customers",
            f"Questions: {self.questions} (answers by source: {sources})",
            f"Resolved without staff: {self.resolved_without_staff:.0%}",
            f"Hand-overs: {self.handovers} ({self.handovers_failed} failed to open)",
            f"Feedback: {self.helpful} helpful, {self.not_helpful} not helpful",
            f"Customers not reachable by DM: {self.unreachable_customers}",
        ]
        if self.gaps:
            out.append("Most frequent questions the bot could not answer:")
            out.extend(f"  {n}x  {q}" for q, n in self.gaps)
        return out


async def compute(db: Database, *, gaps: int = 8) -> Stats:
    async with db.sessions() as session:
        registrations = await session.scalar(select(func.count()).select_from(Device)) or 0
        customers = await session.scalar(select(func.count(func.distinct(Device.customer_id)))) or 0
        by_source = {
            s: int(n)
            for s, n in await session.execute(
                select(col(AnswerRecord.source), func.count()).group_by(col(AnswerRecord.source))
            )
        }
        questions = sum(by_source.values())
        resolved = (
            await session.scalar(
                select(func.count())
                .select_from(AnswerRecord)
                .where(col(AnswerRecord.answered).is_(True), col(AnswerRecord.escalated).is_(False))
            )
            or 0
        )
        feedback = {
            f: int(n)
            for f, n in await session.execute(
                select(col(AnswerRecord.feedback), func.count()).group_by(col(AnswerRecord.feedback))
            )
        }
        tickets = {
            s: int(n)
            for s, n in await session.execute(select(col(Ticket.status), func.count()).group_by(col(Ticket.status)))
        }
        unanswered = list(
            await session.scalars(
                select(col(AnswerRecord.question))
                .where(col(AnswerRecord.answered).is_(False), col(AnswerRecord.source).in_(("offline", "llm")))
                .order_by(col(AnswerRecord.created_at).desc())
                .limit(5000)
            )
        )
        unreachable = (
            await session.scalar(
                select(func.count(func.distinct(Outbox.customer_id))).where(col(Outbox.status) == "unreachable")
            )
            or 0
        )
    return Stats(
        registrations=int(registrations),
        customers_with_devices=int(customers),
        questions=questions,
        by_source=by_source,
        handovers=sum(tickets.values()),
        handovers_failed=tickets.get("failed", 0),
        helpful=feedback.get("helpful", 0),
        not_helpful=feedback.get("not_helpful", 0),
        resolved_without_staff=(int(resolved) / questions) if questions else 0.0,
        unreachable_customers=int(unreachable),
        gaps=_top_gaps(unanswered, gaps),
    )


def _top_gaps(questions: list[str], n: int) -> list[tuple[str, int]]:
    """Group rephrasings of the same unanswered question by their terms; show the latest wording."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for q in questions:
        key = " ".join(sorted(set(analyze(q)))) or q.strip().lower()
        counts[key] += 1
        example.setdefault(key, " ".join(q.split())[:120])
    return [(example[k], c) for k, c in counts.most_common(n)]


@dataclass(frozen=True, slots=True)
class Series:
    hours: list[datetime]
    registrations: list[int]
    questions: list[int]
    handovers: list[int]


async def hourly(db: Database, *, max_hours: int = 24 * 14) -> Series:
    """Counts per hour from the first event of the incident to now (at most `max_hours`)."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    stamps: dict[str, list[datetime]] = {}
    async with db.sessions() as session:
        for name, column in (
            ("registrations", Device.created_at),
            ("questions", AnswerRecord.created_at),
            ("handovers", Ticket.created_at),
        ):
            stamps[name] = list(
                await session.scalars(select(col(column)).where(col(column) >= now - timedelta(hours=max_hours)))
            )
    everything = [t for ts in stamps.values() for t in ts]
    start = min(everything).replace(minute=0, second=0, microsecond=0) if everything else now
    hours = [start + timedelta(hours=i) for i in range(int((now - start).total_seconds() // 3600) + 1)]

    def bucket(ts: list[datetime]) -> list[int]:
        counts = Counter(t.astimezone(UTC).replace(minute=0, second=0, microsecond=0) for t in ts)
        return [counts.get(h, 0) for h in hours]

    return Series(hours, bucket(stamps["registrations"]), bucket(stamps["questions"]), bucket(stamps["handovers"]))


def render_chart(series: Series, *, title: str = "Incident activity per hour") -> bytes:
    """A PNG chart of the series; with no data, a chart that says so (never an error)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on servers
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    try:
        total = sum(series.registrations) + sum(series.questions) + sum(series.handovers)
        if total == 0:
            ax.text(0.5, 0.5, "No activity recorded yet", ha="center", va="center", fontsize=14, transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            width = 15 / (24 * 60)  # a quarter of an hour, in matplotlib's date units (days)
            x = [float(mdates.date2num(h)) for h in series.hours]
            ax.bar([v - width for v in x], series.registrations, width=width, label="registrations")
            ax.bar(x, series.questions, width=width, label="questions")
            ax.bar([v + width for v in x], series.handovers, width=width, label="hand-overs")
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M"))
            fig.autofmt_xdate()
            ax.set_ylabel("per hour")
            ax.legend(loc="upper left")
            ax.grid(axis="y", alpha=0.3)
        ax.set_title(title + " (UTC)")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)
