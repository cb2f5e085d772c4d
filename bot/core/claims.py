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
import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel, col

from bot.core.batching import GroupCommit
from bot.core.db import Database
from bot.core.errors import DatabaseUnavailable
from bot.core.models import UTCDateTime, utcnow
from bot.core.outage import is_unavailable

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=15)  # how long a killed process's unfinished events wait for a takeover
KEEP = timedelta(days=1)
PRUNE_EVERY_SECONDS = 3600.0
CLOSE_WAIT_SECONDS = 5.0
FINISH_HOLD_SECONDS = 300.0  # how long marking an event done waits out an unreachable database


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
        self._finishing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._held: set[str] = set()  # won and not finished: their leases are renewed while this process lives
        self._renewer: asyncio.Task[None] | None = None
        self._takes: GroupCommit[str, tuple[Outcome, bool]] = GroupCommit(self._take_batch)
        self._finishes: GroupCommit[str, None] = GroupCommit(self._finish_batch)

    async def claim(self, key: str) -> bool:
        """True for the one process that gets `key`; False for every other one, and for a repeat."""
        return (await self.take(key)).won

    async def take(self, key: str) -> Outcome:
        """Claim `key`, or take it over from a process whose lease ran out before it was done.

        Claims that arrive together (a burst) are written in one transaction (`GroupCommit`)."""
        outcome, taken_over = await self._takes.submit(key)
        if outcome.won:
            self._held.add(key)
            self._start_renewing()
            self.won += 1
            if taken_over:
                self.taken_over += 1
                log.warning("took over event %s from a process that did not finish it", key.split(":")[0])
        else:
            self.lost += 1
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            await self.prune()
        return outcome

    async def _take_batch(self, keys: Sequence[str]) -> list[tuple[Outcome, bool]]:
        """(outcome, taken over from another process) for each of `keys` (distinct), in one transaction."""
        now = utcnow()
        table = Claim.__table__.c  # type: ignore[attr-defined]
        rows = [{"key": k, "owner": self.owner, "claimed_at": now, "lease_until": now + self.lease} for k in keys]
        stmt = self.db.insert(Claim).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"owner": stmt.excluded.owner, "lease_until": stmt.excluded.lease_until},
            where=(table.done == False) & (table.lease_until < now),  # noqa: E712  (SQL, not Python)
        ).returning(table.key, table.claimed_at)
        async with self.db.begin() as conn:
            won = {row.key: row.claimed_at for row in await conn.execute(stmt)}
            lost = [k for k in keys if k not in won]
            held = {}
            if lost:
                query = select(table.key, table.done, table.lease_until).where(table.key.in_(lost))
                held = {row.key: row for row in await conn.execute(query)}
        out: list[tuple[Outcome, bool]] = []
        for key in keys:
            if key in won:
                out.append((Outcome(True), won[key] != now))
            else:
                row = held[key]
                out.append((Outcome(False, None if row.done else row.lease_until), False))
        return out

    async def finish(self, key: str) -> None:
        await self._finishes.submit(key)
        self._held.discard(key)  # only once marked: until then its lease is renewed

    async def _finish_batch(self, keys: Sequence[str]) -> list[None]:
        async with self.db.begin() as conn:
            await conn.execute(
                update(Claim).where(col(Claim.key).in_(keys), col(Claim.owner) == self.owner).values(done=True)
            )
        return [None] * len(keys)

    def finish_soon(self, key: str) -> None:
        """Mark `key` done in the background (from a task's done-callback); `close` waits for it. After
        `close`, nothing is marked: a handler cut short by the shutdown is left for another process."""
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._finish_quietly(key))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _finish_quietly(self, key: str) -> None:
        """Mark it done, waiting out an outage of the database: an event handled while the database was away
        and left unmarked would be handled again by another process once the lease runs out. Until it is
        marked, the key stays held, so its lease is renewed as soon as the database answers."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FINISH_HOLD_SECONDS
        while True:
            try:
                await self.finish(key)
                return
            except (SQLAlchemyError, DatabaseUnavailable, OSError) as exc:  # then another process may redo it
                if not is_unavailable(exc) or self._closed:
                    log.warning("could not mark %s done (%s)", key.split(":")[0], type(exc).__name__)
                    self._held.discard(key)
                    return
                self.db.outage.failed("marking an event done", exc)
                left = deadline - loop.time()
                if left <= 0 or not await self.db.outage.wait(left):
                    log.warning("could not mark %s done: the database did not answer in time", key.split(":")[0])
                    self._held.discard(key)
                    return
                await asyncio.sleep(0.1)  # never a busy loop, whatever the probe says

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
                if is_unavailable(exc):
                    self.db.outage.failed("renewing claims", exc)
                else:
                    log.warning("could not renew %d claims (%s)", len(keys), type(exc).__name__)

    async def close(self) -> None:
        self._closed = True
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        if self._finishing:
            # a few seconds for the last marks; one waiting out an outage is left to the lease (another
            # process may then handle that event again, with the same nonce)
            _, late = await asyncio.wait(set(self._finishing), timeout=CLOSE_WAIT_SECONDS)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
                log.warning("stopped with %d events not marked done (database unreachable)", len(late))

    async def prune(self, older_than: timedelta = KEEP) -> int:
        async with self.db.begin() as conn:
            result = await conn.execute(delete(Claim).where(col(Claim.claimed_at) < utcnow() - older_than))
        return int(result.rowcount)
