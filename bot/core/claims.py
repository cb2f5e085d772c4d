"""Exactly one process acts on each incoming Discord event.

Every process connected with the same token receives every message and every interaction. Before any work,
a handler claims the event's Discord id here: one row per key under a primary key, inserted with
ON CONFLICT DO NOTHING, so of N processes exactly one wins and the others drop the event. The winner is
whichever process reaches the database first, so a stopped process costs nothing: the others win its events.

Keys are short strings: "m:<message id>" for a created message, "e:<message id>:<edited at>" for an edit,
"i:<interaction id>" for an interaction. Rows older than a day are pruned; Discord does not redeliver events
that old.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta

from sqlalchemy import Index, delete
from sqlmodel import Field, SQLModel, col

from bot.core.db import Database
from bot.core.models import UTCDateTime, utcnow

log = logging.getLogger(__name__)

KEEP = timedelta(days=1)
PRUNE_EVERY_SECONDS = 3600.0


class Claim(SQLModel, table=True):
    """One incoming Discord event, taken by the process named in `owner`."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_claimed_at", "claimed_at"),)

    key: str = Field(primary_key=True, max_length=80)
    owner: str = Field(max_length=80)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def message_key(message_id: int) -> str:
    return f"m:{message_id}"


def edit_key(message_id: int, edited_at: datetime | None) -> str:
    stamp = int(edited_at.timestamp() * 1000) if edited_at is not None else 0
    return f"e:{message_id}:{stamp}"


def interaction_key(interaction_id: int) -> str:
    return f"i:{interaction_id}"


class Claims:
    def __init__(self, db: Database, *, owner: str | None = None) -> None:
        self.db = db
        self.owner = owner or process_name()
        self._pruned_at = time.monotonic()
        self.won = 0
        self.lost = 0

    async def claim(self, key: str) -> bool:
        """True for the one process that gets `key` first; False for every other one, and for a repeat."""
        stmt = (
            self.db.insert(Claim)
            .values(key=key, owner=self.owner, claimed_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self.db.begin() as conn:
            result = await conn.execute(stmt)
        won = bool(result.rowcount)
        if won:
            self.won += 1
        else:
            self.lost += 1
            log.debug("event %s already taken by another process", key)
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            await self.prune()
        return won

    async def prune(self, older_than: timedelta = KEEP) -> int:
        async with self.db.begin() as conn:
            result = await conn.execute(delete(Claim).where(col(Claim.claimed_at) < utcnow() - older_than))
        return int(result.rowcount)
