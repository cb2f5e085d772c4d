"""Exactly one process acts on each incoming Discord event, and a killed process's events are taken over.

Every process connected with the same token receives every message and every interaction. Before any work,
a handler claims the event here: one row per key, inserted with ON CONFLICT, so of N processes exactly one
wins. The winner holds a lease, renewed every third of it while the process lives, and marks the row done
when its handler ends. A process that lost a claim keeps the event: if the lease runs out
before the row is done (the winner was killed mid-way), it takes the claim over and handles the event.

Keys are short strings: "m:<scope>:<message id>" for a created message, "e:<scope>:<message id>:<edited
at>" for an edit, "i:<interaction id>" for an interaction. Rows older than a day are pruned; Discord does
not redeliver events that old.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel, col

from bot.core.db import Database
from bot.core.errors import DatabaseUnavailable
from bot.core.models import UTCDateTime, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=15)  # how long a killed process's unfinished events wait for a takeover
KEEP = timedelta(days=1)
PRUNE_EVERY_SECONDS = 3600.0
BATCH = 64  # keys per statement (5 parameters each: well within SQLite's and PostgreSQL's limits)


class Claim(SQLModel, table=True):
    """One incoming Discord event, taken by the process named in `owner`."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_claimed_at", "claimed_at"),)

    key: str = Field(primary_key=True, max_length=80)
    owner: str = Field(max_length=80)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    won: bool
    retry_at: datetime | None = None  # lost to a live lease: look again then; None: done elsewhere
    taken_over: bool = False  # won from a process whose lease ran out


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def message_key(scope: str, message_id: int) -> str:
    return f"m:{scope}:{message_id}"


def edit_key(scope: str, message_id: int, edited_at: datetime | None) -> str:
    stamp = int(edited_at.timestamp() * 1000) if edited_at is not None else 0
    return f"e:{scope}:{message_id}:{stamp}"


def interaction_key(interaction_id: int) -> str:
    return f"i:{interaction_id}"


class Claims:
    def __init__(self, db: Database, *, owner: str | None = None, lease: timedelta = LEASE) -> None:
        self.db = db
        self.owner = owner or process_name()
        self.lease = lease
        self._pruned_at = time.monotonic()
        self.won = 0
        self.lost = 0
        self.taken_over = 0
        self._asked: dict[str, list[asyncio.Future[Outcome]]] = {}  # key -> its waiters, in the order asked
        self._taker: asyncio.Task[None] | None = None
        self._to_finish: dict[str, None] = {}  # an ordered set
        self._finisher: asyncio.Task[None] | None = None
        self._closed = False
        self._held: set[str] = set()  # won and not finished: their leases are renewed while this process lives
        self._renewer: asyncio.Task[None] | None = None

    async def claim(self, key: str) -> bool:
        """True for the one process that gets `key`; False for every other one, and for a repeat."""
        return (await self.take(key)).won

    async def take(self, key: str) -> Outcome:
        """Claim `key`, or take it over from a process whose lease ran out before it was done.

        Claims asked for while one is being written go together in the next statement: in a burst of
        events, one transaction claims them all, where one each would queue every handler behind the
        others' commits (and the first answers would leave only once nearly every event was claimed).
        """
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._asked.setdefault(key, []).append(fut)
        if self._taker is None or self._taker.done():
            self._taker = asyncio.get_running_loop().create_task(self._take_asked(), name="claims")
        return await fut

    async def _take_asked(self) -> None:
        while self._asked:
            keys = list(itertools.islice(self._asked, BATCH))  # the oldest asked first
            waiters = {key: self._asked.pop(key) for key in keys}
            try:
                outcomes = await self._take_many(keys)
            except BaseException as exc:
                for fut in itertools.chain.from_iterable(waiters.values()):
                    if not fut.done():
                        fut.cancel() if isinstance(exc, asyncio.CancelledError) else fut.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for key in keys:  # in the order asked: the first handlers resume first
                self._deliver(key, outcomes[key], waiters[key])
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
                self._pruned_at = time.monotonic()
                with contextlib.suppress(SQLAlchemyError, DatabaseUnavailable, OSError):
                    await self.prune()

    def _deliver(self, key: str, outcome: Outcome, waiters: list[asyncio.Future[Outcome]]) -> None:
        live = [fut for fut in waiters if not fut.done()]
        if outcome.won and not live:
            return  # nobody is left to act on it: not renewed, so another process takes it over
        for i, fut in enumerate(live):
            # the same event delivered twice to this process at once: the first has it, the repeat is dropped
            got = outcome if i == 0 or not outcome.won else Outcome(False)
            if got.won:
                self._held.add(key)
                self._start_renewing()
                self.won += 1
                if got.taken_over:
                    self.taken_over += 1
                    log.warning("took over event %s from a process that did not finish it", key.split(":")[0])
            else:
                self.lost += 1
            fut.set_result(got)

    async def _take_many(self, keys: list[str]) -> dict[str, Outcome]:
        now = utcnow()
        lease_until = now + self.lease
        table = Claim.__table__.c  # type: ignore[attr-defined]
        rows = [
            {"key": key, "owner": self.owner, "claimed_at": now, "lease_until": lease_until, "done": False}
            for key in sorted(keys)  # one order for every process: two batches never wait on each other's rows
        ]
        stmt = self.db.insert(Claim).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"owner": stmt.excluded.owner, "lease_until": stmt.excluded.lease_until},
            where=(table.done == False) & (table.lease_until < now),  # noqa: E712  (SQL, not Python)
        ).returning(table.key, table.claimed_at)
        async with self.db.begin() as conn:
            won = {row.key: row.claimed_at for row in await conn.execute(stmt)}
            lost = [key for key in keys if key not in won]
            held = {}
            if lost:
                query = select(table.key, table.done, table.lease_until).where(table.key.in_(lost))
                held = {row.key: row for row in await conn.execute(query)}
        outcomes = {key: Outcome(True, taken_over=claimed_at != now) for key, claimed_at in won.items()}
        for key in lost:
            row = held[key]
            outcomes[key] = Outcome(False, None if row.done else row.lease_until)
        return outcomes

    async def finish(self, key: str) -> None:
        self._held.discard(key)
        await self._finish_many([key])

    async def _finish_many(self, keys: list[str]) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                update(Claim).where(col(Claim.key).in_(keys), col(Claim.owner) == self.owner).values(done=True)
            )

    def finish_soon(self, key: str) -> None:
        """Mark `key` done in the background (from a task's done-callback), together with the others marked
        meanwhile; `close` waits for it. After `close`, nothing is marked: a handler cut short by the
        shutdown is left for another process."""
        if self._closed:
            return
        self._held.discard(key)
        self._to_finish[key] = None
        if self._finisher is None or self._finisher.done():
            self._finisher = asyncio.get_running_loop().create_task(self._finish_asked(), name="claims-done")

    async def _finish_asked(self) -> None:
        while self._to_finish:
            keys = list(itertools.islice(self._to_finish, BATCH))
            for key in keys:
                del self._to_finish[key]
            try:
                await self._finish_many(keys)
            except (SQLAlchemyError, DatabaseUnavailable, OSError) as exc:  # then another process may redo them
                log.warning("could not mark %d event(s) done (%s)", len(keys), type(exc).__name__)

    def _start_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew(), name="claim-leases")

    async def _renew(self) -> None:
        """A busy process (a burst queues its handlers) keeps what it claimed; only a dead one loses it."""
        while not self._closed:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            keys = list(self._held)
            try:
                for i in range(0, len(keys), 500):
                    async with self.db.begin() as conn:
                        await conn.execute(
                            update(Claim)
                            .where(col(Claim.key).in_(keys[i : i + 500]), col(Claim.owner) == self.owner)
                            .values(lease_until=utcnow() + self.lease)
                        )
            except (SQLAlchemyError, DatabaseUnavailable, OSError) as exc:
                log.warning("could not renew %d claims (%s)", len(keys), type(exc).__name__)

    async def close(self) -> None:
        self._closed = True
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        for task in (self._taker, self._finisher):
            if task is not None and not task.done():
                await asyncio.wait({task})

    async def prune(self, older_than: timedelta = KEEP) -> int:
        async with self.db.begin() as conn:
            result = await conn.execute(delete(Claim).where(col(Claim.claimed_at) < utcnow() - older_than))
        return int(result.rowcount)
