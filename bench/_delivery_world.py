"""Helpers for bench_delivery: the sandbox world, the outbox rows, and what the sandbox saw.

Everything counted here comes from the sandbox's own records (messages, the REST request log, the
rate limiter) or from the outbox table, never from the bot's memory, so a killed bot cannot hide a
duplicate or a loss.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import Outbox
from bot.core.outbox.notices import TextPost
from bot.core.outbox.rows import enqueue, outbox_row
from bot.sandbox import Guild, SandboxServer, User
from bot.sandbox.demo import DEMO_BOT_PERMISSIONS

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
DM_CREATE_ROUTE = "/users/@me/channels"

BOT_PERMISSIONS = DEMO_BOT_PERMISSIONS  # what the README asks operators to grant


@dataclass
class Audience:
    guild: Guild
    users: list[User]
    refusing: set[int]  # user ids with DMs from server members switched off


async def build_audience(srv: SandboxServer, n: int, refuse_every: int, tag: str) -> Audience:
    """A guild with the bot and `n` customers who are members; every `refuse_every`-th refuses DMs."""
    d = srv.driver
    guild = await d.create_guild(f"Larkspur Support {tag}", bot_permissions=BOT_PERMISSIONS)
    users: list[User] = []
    refusing: set[int] = set()
    for i in range(n):
        accepts = not (refuse_every and i % refuse_every == refuse_every - 1)
        u = d.create_user(f"{tag}cust{i}", accepts_dms=accepts)
        if not accepts:
            refusing.add(u.id)
        users.append(u)
        await d.add_member(guild, u)
    return Audience(guild, users, refusing)


@dataclass(frozen=True)
class Row:
    id: int
    user_id: int
    text: str


async def seed_rows(db_url: str, audience: Audience, tag: str) -> list[Row]:
    """One DM outbox row per customer, written (after migrating) in one transaction."""
    db = Database(db_url)
    try:
        await db.upgrade()
        wanted = {f"{tag}:{i}": (u.id, f"{tag} notice {i}: service is restored.") for i, u in enumerate(audience.users)}
        async with db.transaction() as session:
            await enqueue(
                session,
                [
                    outbox_row("dm", uid, key, TextPost(content=text), customer_id=uid)
                    for key, (uid, text) in wanted.items()
                ],
            )
        async with db.sessions() as session:
            got = (
                await session.execute(
                    select(col(Outbox.id), col(Outbox.dedupe_key)).where(col(Outbox.dedupe_key).like(f"{tag}:%"))
                )
            ).all()
        rows = [Row(rid, wanted[key][0], wanted[key][1]) for rid, key in got if rid is not None and key in wanted]
        rows.sort(key=lambda r: r.id)
        return rows
    finally:
        await db.dispose()


async def outbox_status(db_url: str, ids: list[int]) -> dict[int, tuple[str, int, str | None]]:
    """id -> (status, attempts, last_error) for the given rows."""
    db = Database(db_url)
    try:
        lo, hi = min(ids), max(ids)
        async with db.sessions() as session:
            res = await session.execute(
                select(col(Outbox.id), col(Outbox.status), col(Outbox.attempts), col(Outbox.last_error)).where(
                    col(Outbox.id) >= lo, col(Outbox.id) <= hi
                )
            )
            wanted = set(ids)
            return {rid: (st, att, err) for rid, st, att, err in res if rid in wanted}
    finally:
        await db.dispose()


async def abandon_pending(db_url: str, ids: list[int]) -> int:
    """Mark what a timed-out run left pending as failed, so the next run's bot does not inherit it."""
    from sqlalchemy import update

    db = Database(db_url)
    try:
        async with db.transaction() as session:
            res = await session.execute(
                update(Outbox)
                .where(col(Outbox.id) >= min(ids), col(Outbox.id) <= max(ids), col(Outbox.status) == "pending")
                .values(status="failed", last_error="bench: abandoned after the run")
            )
            return int(res.rowcount or 0)  # type: ignore[attr-defined]
    finally:
        await db.dispose()


class Progress:
    """Incrementally follows the sandbox's request log: which nonces got a 200 (delivered) or a 403."""

    def __init__(self, srv: SandboxServer, nonces: set[str]) -> None:
        self.srv = srv
        self.nonces = nonces
        self._pos = len(srv.log.requests)
        self.start_index = self._pos
        self.delivered: set[str] = set()
        self.refused: set[str] = set()

    def poll(self) -> int:
        reqs = self.srv.log.requests
        end = len(reqs)
        for r in reqs[self._pos : end]:
            if r.method != "POST" or r.route != MESSAGES_ROUTE or not isinstance(r.json, dict):
                continue
            nonce = r.json.get("nonce")
            if nonce not in self.nonces:
                continue
            if r.status == 200:
                self.delivered.add(nonce)
            elif r.status == 403:
                self.refused.add(nonce)
        self._pos = end
        return len(self.delivered) + len(self.refused)


@dataclass
class Report:
    label: str
    configured_rate: float
    rows: int
    refusing: int
    delivered: int = 0  # customers who accept DMs holding their notice at least once
    unreachable: int = 0  # rows marked unreachable for customers who refuse DMs
    duplicates: int = 0  # extra copies of a notice in a customer's DM channel
    duplicate_customers: int = 0
    lost: int = 0  # a customer who accepts DMs without their notice, whatever the outbox says
    wrongly_marked: int = 0  # outbox says sent but no message, or unreachable for a customer who accepts DMs
    statuses: Counter[str] = field(default_factory=Counter)
    pending_at_end: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    achieved_rate: float = 0.0  # delivered messages per second between the first and the last
    outcome_rate: float = 0.0  # delivered + refused rows per second (the pacer spends a slot on both)
    active_seconds: float = 0.0
    requests: int = 0
    requests_per_route: Counter[str] = field(default_factory=Counter)
    request_rate: float = 0.0
    peak_requests_1s: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    nonce_absorbed: int = 0  # POSTs answered with the earlier message because the nonce was already seen
    message_posts: int = 0
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def analyse(
    srv: SandboxServer,
    audience: Audience,
    rows: list[Row],
    statuses: dict[int, tuple[str, int, str | None]],
    *,
    label: str,
    configured_rate: float,
    request_start: int,
    gaps: list[tuple[float, float]] = (),  # type: ignore[assignment]
) -> Report:
    """Count deliveries, duplicates and losses from the sandbox's messages; rates and 429s from its logs."""
    world = srv.world
    bot_id = world.bot_user.id
    rep = Report(label, configured_rate, len(rows), sum(1 for r in rows if r.user_id in audience.refusing))
    # every bot message in each customer's DM channel, by text
    by_channel: dict[int, Counter[str]] = {}
    times: list[float] = []
    for ev in srv.log.events:
        m = ev.message
        if ev.kind != "message" or m is None or m.author_id != bot_id or m.guild_id is not None:
            continue
        by_channel.setdefault(m.channel_id, Counter())[m.content] += 1
    for ev in srv.log.events:
        m = ev.message
        if ev.kind == "message" and m is not None and m.author_id == bot_id and m.guild_id is None:
            times.append(ev.at)
    for r in rows:
        st = statuses.get(r.id, ("missing", 0, None))[0]
        rep.statuses[st] += 1
        if st == "pending":
            rep.pending_at_end += 1
        cid = world.dm_by_user.get(r.user_id)
        n = by_channel.get(cid, Counter())[r.text] if cid is not None else 0
        if n > 1:
            rep.duplicates += n - 1
            rep.duplicate_customers += 1
        if r.user_id in audience.refusing:
            if n:
                rep.extra["refusing_but_delivered"] = rep.extra.get("refusing_but_delivered", 0) + 1
            if st == "unreachable":
                rep.unreachable += 1
            continue
        if n:
            rep.delivered += 1
            if st != "sent":
                rep.wrongly_marked += 1
        elif st == "pending":
            rep.extra["not_delivered_still_pending"] = rep.extra.get("not_delivered_still_pending", 0) + 1
        else:
            rep.lost += 1
            if st in ("sent", "unreachable"):
                rep.wrongly_marked += 1
    times.sort()
    if times:
        rep.first_at, rep.last_at = times[0], times[-1]
    # requests made during this run
    reqs = srv.log.requests[request_start:]
    rep.requests = len(reqs)
    per_second: Counter[int] = Counter()
    seen_nonce: set[tuple[str, str]] = set()
    outcome_times: list[float] = []
    outcome_nonces: set[Any] = set()
    for q in reqs:
        rep.requests_per_route[f"{q.method} {q.route} {q.status}"] += 1
        per_second[int(q.timestamp)] += 1
        if q.method == "POST" and q.route == MESSAGES_ROUTE and isinstance(q.json, dict):
            rep.message_posts += 1
            nonce = q.json.get("nonce")
            if q.status in (200, 403) and nonce not in outcome_nonces:  # first outcome per row
                outcome_nonces.add(nonce)
                outcome_times.append(q.timestamp)
            if q.status == 200 and nonce is not None:
                key = (q.path, str(nonce))
                if key in seen_nonce:
                    rep.nonce_absorbed += 1
                seen_nonce.add(key)
    rep.peak_requests_1s = max(per_second.values(), default=0)
    rep.hits = Counter(srv.ratelimiter.hits)
    # time the bot was actually able to send: first..last delivery minus gaps (restart, lease wait)
    span = rep.last_at - rep.first_at
    for a, b in gaps:
        lo, hi = max(a, rep.first_at), min(b, rep.last_at)
        if hi > lo:
            span -= hi - lo
    rep.active_seconds = span
    if span > 0 and len(times) > 1:
        rep.achieved_rate = (len(times) - 1) / span
        outcome_times.sort()
        rep.outcome_rate = (len(outcome_times) - 1) / span if len(outcome_times) > 1 else 0.0
        # requests/s while sending (start-up, the restart and lease waits left out)
        busy = [
            q
            for q in reqs
            if rep.first_at <= q.timestamp <= rep.last_at and not any(a < q.timestamp < b for a, b in gaps)
        ]
        rep.request_rate = len(busy) / span
    return rep


def format_report(rep: Report) -> str:
    frac = rep.achieved_rate / rep.configured_rate if rep.configured_rate else 0.0
    ofrac = rep.outcome_rate / rep.configured_rate if rep.configured_rate else 0.0
    lines = [
        f"== {rep.label} ==",
        f"  rows: {rep.rows} ({rep.refusing} to customers refusing DMs); wall time {rep.wall_seconds:.1f} s",
        f"  configured rate: {rep.configured_rate:g} DM/s",
        f"  achieved rate: {rep.achieved_rate:.2f} messages/s = {frac:.1%} of configured "
        f"(rows finished incl. 403s: {rep.outcome_rate:.2f}/s = {ofrac:.1%}) over {rep.active_seconds:.1f} s "
        f"of sending" + (" (restart gaps excluded)" if rep.extra.get("gaps") else ""),
        f"  requests: {rep.requests} total, {rep.request_rate:.1f}/s while sending, peak {rep.peak_requests_1s} in one "
        f"wall-clock second (global limit 50/s)",
        "  requests by route: " + ", ".join(f"{k}: {v}" for k, v in sorted(rep.requests_per_route.items())),
        "  429s per bucket: " + (", ".join(f"{k}: {v}" for k, v in sorted(rep.hits.items())) or "none"),
        f"  delivered {rep.delivered} / unreachable {rep.unreachable} / duplicates {rep.duplicates} "
        f"({rep.duplicate_customers} customers) / lost {rep.lost}",
        f"  outbox statuses: {dict(rep.statuses)}; wrongly marked: {rep.wrongly_marked}",
        f"  message POSTs: {rep.message_posts}; resends absorbed by nonce de-duplication: {rep.nonce_absorbed}",
    ]
    for k, v in rep.extra.items():
        if k != "gaps":
            lines.append(f"  {k}: {v}")
    verdict = []
    verdict.append(("rate >= 90%", ofrac >= 0.9))
    verdict.append(("duplicates == 0", rep.duplicates == 0))
    verdict.append(("lost == 0", rep.lost == 0))
    lines.append("  targets: " + ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in verdict))
    return "\n".join(lines)


@contextlib.contextmanager
def dm_create_limit(per_10s: int | None) -> Iterator[str]:
    """Override the sandbox's DM-channel-creation bucket (10 per 10 s) in this process; None keeps it."""
    from bot.sandbox import ratelimit

    key = ("POST", DM_CREATE_ROUTE)
    old = ratelimit.ROUTE_BUCKETS[key]
    if per_10s is None:
        yield f"{old.limit} per {old.window:g} s (sandbox default)"
        return
    ratelimit.ROUTE_BUCKETS[key] = ratelimit.BucketSpec(old.name, per_10s, 10.0, old.major)
    try:
        yield f"{per_10s} per 10 s (relaxed by the bench; sandbox default {old.limit} per {old.window:g} s)"
    finally:
        ratelimit.ROUTE_BUCKETS[key] = old
