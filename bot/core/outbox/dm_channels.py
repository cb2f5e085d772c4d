"""Where each customer's DMs go: remembered after the first one, so later DMs cost one request."""

from __future__ import annotations

import asyncio
import logging

from bot.core.db import Database
from bot.core.models import DmChannel, utcnow
from bot.core.outage import is_unavailable

log = logging.getLogger(__name__)


class DmChannels:
    """Where each customer's DMs go: remembered after the first one, so later DMs cost one request.

    New entries are written behind, in batches: losing one to a crash only costs re-opening a channel.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[int, int] = {}
        self._unsaved: dict[int, int] = {}
        self._writer: asyncio.Task[None] | None = None

    async def get(self, customer_id: int) -> int | None:
        known = self._known.get(customer_id)
        if known is not None:
            return known
        async with self.db.sessions() as session:
            row = await session.get(DmChannel, customer_id)
        if row is not None:
            self._known[customer_id] = row.channel_id
            return row.channel_id
        return None

    def remember(self, customer_id: int, channel_id: int) -> None:
        if self._known.get(customer_id) == channel_id:
            return
        self._known[customer_id] = channel_id
        self._unsaved[customer_id] = channel_id
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._save(), name="dm-channels")

    async def _save(self) -> None:
        while self._unsaved:
            batch, self._unsaved = self._unsaved, {}
            try:
                # another process may have written the same customer meanwhile: its row stands
                rows = [{"customer_id": c, "channel_id": ch, "created_at": utcnow()} for c, ch in batch.items()]
                async with self.db.begin() as conn:
                    for i in range(0, len(rows), 500):  # under SQLite's limit of bound parameters
                        stmt = self.db.insert(DmChannel).values(rows[i : i + 500])
                        await conn.execute(stmt.on_conflict_do_nothing(index_elements=["customer_id"]))
            except Exception as exc:  # only an optimisation: the channel is opened again next time
                if is_unavailable(exc):
                    self.db.outage.failed("remembering DM channels", exc)
                else:
                    log.warning("could not remember %d DM channels (%s)", len(batch), type(exc).__name__)

    async def flush(self) -> None:
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    def forget(self, customer_id: int) -> None:
        self._known.pop(customer_id, None)
        self._unsaved.pop(customer_id, None)
