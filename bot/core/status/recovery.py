"""Each registered device's recovery state, from the feed or from staff, and telling its owners.

Device IDs are matched by their keyed hash; an owner's notice carries only the last four characters.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.devices import InvalidDeviceId, parse_device_id
from bot.core.feeds import DeviceState as FeedDeviceState
from bot.core.models import Device, DeviceState, utcnow
from bot.core.outbox.notices import DeviceNotice, Progress
from bot.core.outbox.rows import enqueue, outbox_row
from bot.core.outbox.wakeup import Wakeup

log = logging.getLogger(__name__)

NOTIFY_STATES = frozenset({"restored", "partial", "not_recoverable"})
_DEVICE_STATES = DeviceState.__table__  # type: ignore[attr-defined]
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DeviceRecovery:
    kind: str
    masked: str
    state: str  # pending when the feed has said nothing about it yet
    progress: dict[str, Progress]
    updated_at: datetime | None
    note: str | None


class DeviceStates:
    def __init__(
        self,
        db: Database,
        cipher: DeviceCipher,
        *,
        serial_pattern: str | None,
        wakeup: Wakeup,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.serial_pattern = serial_pattern
        self.wakeup = wakeup
        self.clock = clock

    def _by_hash(self, states: Sequence[FeedDeviceState]) -> tuple[dict[str, FeedDeviceState], int]:
        """The newest state per device, keyed by the keyed hash of its normalised ID."""
        latest: dict[str, FeedDeviceState] = {}
        invalid = 0
        for ds in states:
            try:
                normalized = parse_device_id(ds.device_id, self.serial_pattern).normalized
            except InvalidDeviceId:
                invalid += 1
                continue
            h = self.cipher.hash(normalized)
            if h not in latest or ds.updated_at >= latest[h].updated_at:
                latest[h] = ds
        return latest, invalid

    async def ingest(
        self, session: AsyncSession, states: Sequence[FeedDeviceState], source: str = "feed"
    ) -> tuple[int, list[dict[str, Any]]]:
        """Record new states in the caller's transaction: (devices changed, owners' notices to queue)."""
        if not states:
            return 0, []
        # parsing and keyed hashing of a large page is CPU work: off the event loop
        latest, invalid = await asyncio.to_thread(self._by_hash, states)
        if invalid:
            log.warning("status feed carried %d device IDs that are not valid; skipped", invalid)
        hashes = list(latest)
        # plain rows, not ORM objects: a page can carry 100,000 devices
        known: dict[str, tuple[str, str, str | None, datetime]] = {}
        owners: dict[str, list[tuple[int, str, str]]] = {}
        t = _DEVICE_STATES
        for i in range(0, len(hashes), _CHUNK):
            chunk = hashes[i : i + _CHUNK]
            for h, state, progress, note, updated_at in await session.execute(
                select(t.c.id_hash, t.c.state, t.c.progress, t.c.note, t.c.updated_at).where(t.c.id_hash.in_(chunk))
            ):
                known[h] = (state, progress, note, updated_at)
            for cid, h, kind, tail in await session.execute(
                select(col(Device.customer_id), col(Device.id_hash), col(Device.kind), col(Device.tail)).where(
                    col(Device.id_hash).in_(chunk)
                )
            ):
                owners.setdefault(h, []).append((cid, kind, tail))
        changed = 0
        rows: list[dict[str, Any]] = []
        fresh: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        for h, ds in latest.items():
            progress = json.dumps({k: v.model_dump() for k, v in sorted(ds.progress.items())}, separators=(",", ":"))
            old = known.get(h)
            if old is not None and old[:3] == (ds.state, progress, ds.note):
                continue
            if old is not None and old[3] > ds.updated_at:
                continue  # an older report arriving late never overrides a newer one
            changed += 1
            values = {
                "id_hash": h,
                "state": ds.state,
                "progress": progress,
                "note": ds.note,
                "updated_at": ds.updated_at,
                "source": source,
            }
            (fresh if old is None else updated).append(values)
            if ds.state in NOTIFY_STATES and h in owners:
                stamp = hashlib.sha256(f"{ds.state}|{progress}".encode()).hexdigest()[:16]
                shown = {k: Progress(state=v.state, percent=v.percent) for k, v in sorted(ds.progress.items())}
                for cid, kind, tail in owners[h]:
                    notice = DeviceNotice(
                        device_kind=kind,
                        tail=tail,
                        state=ds.state,
                        progress=shown,
                        note=ds.note,
                        updated_at=ds.updated_at,
                    )
                    rows.append(outbox_row("dm", cid, f"dev:{h[:32]}:{cid}:{stamp}", notice, customer_id=cid))
        for i in range(0, len(fresh), 1000):
            await session.execute(insert(t), fresh[i : i + 1000])
        if updated:
            await session.execute(
                update(t)
                .where(t.c.id_hash == bindparam("h"))
                .values(
                    state=bindparam("state"),
                    progress=bindparam("progress"),
                    note=bindparam("note"),
                    updated_at=bindparam("updated_at"),
                    source=bindparam("source"),
                ),
                [{**u, "h": u["id_hash"]} for u in updated],
            )
        return changed, rows

    async def mark_device(self, raw: str, state: str, note: str | None = None) -> int:
        """Staff set a device's recovery state by hand; owners are told as if the feed had said it.

        Returns how many registrations were notified. Raises InvalidDeviceId for a bad ID.
        """
        normalized = parse_device_id(raw, self.serial_pattern).normalized
        ds = FeedDeviceState(device_id=normalized, state=state, progress={}, updated_at=self.clock(), note=note)
        async with self.db.transaction() as session:
            _, rows = await self.ingest(session, [ds], source="staff")
            queued = await enqueue(session, rows)
        if queued:
            self.wakeup.notify()
        return queued

    async def device_status(self, customer_id: int) -> list[DeviceRecovery]:
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(Device, DeviceState)
                    .join(DeviceState, col(DeviceState.id_hash) == col(Device.id_hash), isouter=True)
                    .where(col(Device.customer_id) == customer_id)
                    .order_by(col(Device.id))
                )
            ).all()
        return [
            DeviceRecovery(
                kind=dev.kind,
                masked="****" + dev.tail,
                state=st.state if st else "pending",
                progress={k: Progress.model_validate(v) for k, v in json.loads(st.progress).items()} if st else {},
                updated_at=st.updated_at if st else None,
                note=st.note if st else None,
            )
            for dev, st in rows
        ]
