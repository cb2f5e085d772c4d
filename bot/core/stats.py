"""Incident statistics for staff that do not flatter (the chart of them is in bot/core/chart.py).

Resolved means the customer said the answer helped, or asked nothing more and was not handed over within
`RESOLVE_WINDOW` of it; an answer younger than that, with no feedback, is not rated yet. A rate with nothing
to rate reads "n/a", never 0%.

An erasure deletes a customer's rows, but not what they add up to: `fold_erased` adds their counts, per hour
and without any identifier, to `stat_counts` first, and every figure here is live rows plus those counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import AnswerRecord, Device, Outbox, StatCount, Ticket, utcnow
from bot.core.text.terms import analyze
from bot.core.text.wording import minutes, plural

RESOLVE_WINDOW = timedelta(minutes=30)
NOT_QUESTIONS = frozenset({"limit"})  # "please slow down" is not an answer to rate


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
    rated: int  # answers whose outcome is known
    resolved: int  # of those, resolved without staff
    unreachable_customers: int
    gaps: list[tuple[str, int]] = field(default_factory=list)  # the most frequent questions the bot could not answer
    open_handovers: int = 0
    first_replies: list[timedelta] = field(default_factory=list)  # staff's first reply, per answered ticket

    @property
    def resolved_without_staff(self) -> float | None:
        return self.resolved / self.rated if self.rated else None

    def first_reply_text(self) -> str:
        if not self.first_replies:
            return "n/a (no hand-over answered yet)"
        waits = sorted(self.first_replies)
        middle = len(waits) // 2
        median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
        return f"median {minutes(median)}, longest {minutes(waits[-1])} ({plural(len(waits), 'hand-over')})"

    def lines(self) -> list[str]:
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.by_source.items())) or "none yet"
        rate = self.resolved_without_staff
        shown = (
            f"{rate:.0%} ({self.resolved} of {plural(self.rated, 'rated answer')})"
            if rate is not None
            else "n/a (no answer to rate yet)"
        )
        out = [
            f"Registrations: {plural(self.registrations, 'device')} "
            f"from {plural(self.customers_with_devices, 'customer')}",
            f"Questions: {self.questions} (answers by source: {sources})",
            f"Resolved without staff: {shown}",
            f"Hand-overs: {self.handovers} ({self.handovers_failed} failed to open; {self.open_handovers} open now)",
            f"First staff reply: {self.first_reply_text()}",
            f"Feedback: {self.helpful} helpful, {self.not_helpful} not helpful",
            f"Customers not reachable by DM: {self.unreachable_customers}",
        ]
        if self.gaps:
            out.append("Most frequent questions the bot could not answer:")
            out.extend(f"  {n}x  {q}" for q, n in self.gaps)
        return out


# -- resolution ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    customer_id: int
    created_at: datetime
    source: str
    answered: bool
    escalated: bool
    feedback: str | None


def outcome(a: _Answer, later_questions: list[datetime], tickets: list[datetime], now: datetime) -> str | None:
    """ "resolved", "unresolved", or None while it cannot be told yet."""
    if a.feedback == "helpful":
        return "resolved"
    if a.feedback == "not_helpful" or not a.answered or a.escalated:
        return "unresolved"
    end = a.created_at + RESOLVE_WINDOW
    if any(a.created_at < t <= end for t in later_questions) or any(a.created_at <= t <= end for t in tickets):
        return "unresolved"
    return "resolved" if now >= end else None


async def _answers(session: AsyncSession, customer_id: int | None = None) -> list[_Answer]:
    query = select(
        col(AnswerRecord.customer_id),
        col(AnswerRecord.created_at),
        col(AnswerRecord.source),
        col(AnswerRecord.answered),
        col(AnswerRecord.escalated),
        col(AnswerRecord.feedback),
    )
    if customer_id is not None:
        query = query.where(col(AnswerRecord.customer_id) == customer_id)
    return [_Answer(*row) for row in (await session.execute(query)).all()]


async def _ticket_times(session: AsyncSession, customer_id: int | None = None) -> dict[int, list[datetime]]:
    query = select(col(Ticket.customer_id), col(Ticket.created_at))
    if customer_id is not None:
        query = query.where(col(Ticket.customer_id) == customer_id)
    out: dict[int, list[datetime]] = {}
    for cid, at in (await session.execute(query)).all():
        out.setdefault(cid, []).append(at)
    return out


def _rate(answers: list[_Answer], tickets: dict[int, list[datetime]], now: datetime) -> Counter[str]:
    """Count outcomes of `answers` (only questions: a rate limit notice is not an answer)."""
    counts: Counter[str] = Counter()
    for (_, name), n in _outcomes_by_hour(answers, tickets, now).items():
        counts[name] += n
    return counts


# -- erasure ------------------------------------------------------------------------------------------------


def hour_key(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H")


async def _add(session: AsyncSession, counts: Counter[tuple[str, str]]) -> None:
    """Add to the hourly totals: one upsert per (hour, name), so two erasures at once both count."""
    rows = [{"hour": h, "name": n, "value": v} for (h, n), v in counts.items() if v]
    if not rows:
        return
    table = StatCount.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for row in rows:
        statement = insert(table).values(**row)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["hour", "name"], set_={"value": table.c.value + statement.excluded.value}
            )
        )


async def fold_erased(session: AsyncSession, customer_id: int, now: datetime | None = None) -> None:
    """Inside an erasure, before the rows go: keep what they add up to, per hour, with no identifier."""
    now = now or utcnow()
    counts: Counter[tuple[str, str]] = Counter()
    answers = await _answers(session, customer_id)
    tickets = await _ticket_times(session, customer_id)
    for a in answers:
        hour = hour_key(a.created_at)
        counts[(hour, f"src:{a.source}"[:24])] += 1
        if a.source not in NOT_QUESTIONS:
            counts[(hour, "questions")] += 1
        if a.feedback in ("helpful", "not_helpful"):
            counts[(hour, a.feedback)] += 1
    # their outcomes as known now; one that could not be told yet is never rated
    counts.update(_outcomes_by_hour(answers, tickets, now))
    for status, at in (
        await session.execute(
            select(col(Ticket.status), col(Ticket.created_at)).where(col(Ticket.customer_id) == customer_id)
        )
    ).all():
        counts[(hour_key(at), "handovers")] += 1
        if status == "failed":
            counts[(hour_key(at), "handovers_failed")] += 1
    devices = list(await session.scalars(select(col(Device.created_at)).where(col(Device.customer_id) == customer_id)))
    for at in devices:
        counts[(hour_key(at), "registrations")] += 1
    if devices:
        counts[(hour_key(min(devices)), "device_customers")] += 1
    await _add(session, counts)


def _outcomes_by_hour(
    answers: list[_Answer], tickets: dict[int, list[datetime]], now: datetime
) -> Counter[tuple[str, str]]:
    asked: dict[int, list[datetime]] = {}
    for a in answers:
        if a.source not in NOT_QUESTIONS:
            asked.setdefault(a.customer_id, []).append(a.created_at)
    counts: Counter[tuple[str, str]] = Counter()
    for a in answers:
        if a.source in NOT_QUESTIONS:
            continue
        verdict = outcome(a, asked.get(a.customer_id, []), tickets.get(a.customer_id, []), now)
        if verdict is not None:
            counts[(hour_key(a.created_at), "rated")] += 1
            counts[(hour_key(a.created_at), verdict)] += 1
    return counts


async def _kept(session: AsyncSession) -> Counter[str]:
    totals: Counter[str] = Counter()
    for name, value in (
        await session.execute(select(col(StatCount.name), func.sum(StatCount.value)).group_by(col(StatCount.name)))
    ).all():
        totals[name] = int(value or 0)
    return totals


# -- figures ------------------------------------------------------------------------------------------------


async def compute(db: Database, *, gaps: int = 8, now: datetime | None = None) -> Stats:
    now = now or utcnow()
    async with db.sessions() as session:
        kept = await _kept(session)
        registrations = await session.scalar(select(func.count()).select_from(Device)) or 0
        customers = await session.scalar(select(func.count(func.distinct(Device.customer_id)))) or 0
        answers = await _answers(session)
        tickets = await _ticket_times(session)
        ticket_status = {
            s: int(n)
            for s, n in await session.execute(select(col(Ticket.status), func.count()).group_by(col(Ticket.status)))
        }
        first_replies = [
            replied - since
            for since, replied in (
                await session.execute(
                    select(col(Ticket.waiting_since), col(Ticket.responded_at)).where(
                        col(Ticket.responded_at).is_not(None)
                    )
                )
            ).all()
            if replied is not None
        ]
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
    by_source: Counter[str] = Counter(a.source for a in answers)
    for name, value in kept.items():
        if name.startswith("src:"):
            by_source[name[4:]] += value
    feedback = Counter(a.feedback for a in answers if a.feedback)
    rated = _rate(answers, tickets, now)
    return Stats(
        registrations=int(registrations) + kept["registrations"],
        customers_with_devices=int(customers) + kept["device_customers"],
        questions=sum(1 for a in answers if a.source not in NOT_QUESTIONS) + kept["questions"],
        by_source=dict(by_source),
        handovers=sum(ticket_status.values()) + kept["handovers"],
        handovers_failed=ticket_status.get("failed", 0) + kept["handovers_failed"],
        helpful=feedback["helpful"] + kept["helpful"],
        not_helpful=feedback["not_helpful"] + kept["not_helpful"],
        rated=rated["rated"] + kept["rated"],
        resolved=rated["resolved"] + kept["resolved"],
        unreachable_customers=int(unreachable),
        gaps=_top_gaps(unanswered, gaps),
        open_handovers=ticket_status.get("open", 0),
        first_replies=first_replies,
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
