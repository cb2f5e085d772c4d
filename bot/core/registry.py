"""The device registry: register, list, remove, erase, staff look-ups, count and CSV export.

Registrations are written by a group-commit writer: concurrent `register` calls are
queued, and whatever has queued while the previous transaction was committing goes
into the next one. Each caller is answered only after the transaction holding its
row has committed, so an acknowledgement always means "on disk".
"""

from __future__ import annotations

import asyncio
import csv
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.devices import DeviceId, mask_tail, parse_device_id
from bot.core.errors import DatabaseUnavailable
from bot.core.models import Device, utcnow

log = logging.getLogger(__name__)

_IN_CHUNK = 500  # bound on bound parameters per IN (...) clause


@dataclass(frozen=True, slots=True)
class DeviceView:
    """What may be shown about a device: never the full ID."""

    id: int
    customer_id: int
    kind: str
    masked: str
    needs_review: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Registration:
    device: DeviceView
    created: bool


@dataclass(slots=True)
class _Pending:
    customer_id: int
    device: DeviceId
    id_hash: str
    id_cipher: str
    future: asyncio.Future[Registration] = field(repr=False)


def _view(row: Device) -> DeviceView:
    assert row.id is not None
    return DeviceView(row.id, row.customer_id, row.kind, mask_tail(row.tail), row.needs_review, row.created_at)


class DeviceRegistry:
    def __init__(
        self,
        db: Database,
        cipher: DeviceCipher,
        *,
        serial_pattern: str | None = None,
        max_batch: int = 500,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.serial_pattern = re.compile(serial_pattern) if serial_pattern else None
        self.max_batch = max_batch
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    def parse(self, raw: str) -> DeviceId:
        return parse_device_id(raw, self.serial_pattern)

    def hash_of(self, raw: str) -> str:
        return self.cipher.hash(self.parse(raw).normalized)

    # -- registering ----------------------------------------------------------------------

    async def register(self, customer_id: int, raw: str) -> Registration:
        """Validate and store a device for a customer. Idempotent per (customer, device).

        Raises InvalidDeviceId for bad input and DatabaseUnavailable if it could not be stored;
        returns only after the row is committed.
        """
        device = self.parse(raw)
        loop = asyncio.get_running_loop()
        pending = _Pending(
            customer_id,
            device,
            self.cipher.hash(device.normalized),
            self.cipher.encrypt(device.normalized),
            loop.create_future(),
        )
        self._pending.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_loop(), name="device-registry-writer")
        # shield: a caller that gives up must not cancel the write of the others in its batch
        return await asyncio.shield(pending.future)

    async def flush(self) -> None:
        """Wait until every registration queued so far is written (used at shutdown)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def _write_loop(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                results = await self._write_with_retry(batch)
            except Exception as exc:  # every waiter must hear about it, whatever it was
                failure = exc if isinstance(exc, DatabaseUnavailable) else DatabaseUnavailable(
                    "Your device could not be saved just now because our database is unavailable. "
                    "Nothing was lost; please try again in a few minutes."
                )
                log.error("device registration batch of %d failed: %s", len(batch), type(exc).__name__)
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(failure)
                continue
            for p, result in zip(batch, results, strict=True):
                if not p.future.done():
                    p.future.set_result(result)

    async def _write_with_retry(self, batch: list[_Pending]) -> list[Registration]:
        delay = 0.05
        for attempt in range(5):
            try:
                async with self.db.transaction() as session:
                    return await self._write_batch(session, batch)
            except IntegrityError:
                # another process registered one of these between our read and our insert:
                # read again and the row is found as existing.
                log.info("registration batch raced with another writer; retrying (attempt %d)", attempt + 1)
            except OperationalError as exc:
                if attempt == 4:
                    raise DatabaseUnavailable(self.db.describe_failure(exc)) from exc
                log.warning("registration batch failed (%s); retrying", type(exc.orig).__name__)
            await asyncio.sleep(delay)
            delay *= 2
        raise DatabaseUnavailable("Your device could not be saved just now; please try again shortly.")

    async def _write_batch(self, session: AsyncSession, batch: list[_Pending]) -> list[Registration]:
        hashes = sorted({p.id_hash for p in batch})
        existing: dict[tuple[int, str], Device] = {}
        owners: dict[str, set[int]] = {}
        for chunk in _chunks(hashes, _IN_CHUNK):
            rows = (await session.execute(select(Device).where(col(Device.id_hash).in_(chunk)))).scalars()
            for row in rows:
                existing[(row.customer_id, row.id_hash)] = row
                owners.setdefault(row.id_hash, set()).add(row.customer_id)

        new_rows: list[dict[str, object]] = []
        new_keys: list[tuple[int, str]] = []
        for p in batch:
            key = (p.customer_id, p.id_hash)
            if key in existing or key in new_keys:
                continue
            owners.setdefault(p.id_hash, set()).add(p.customer_id)
            new_keys.append(key)
            new_rows.append(
                {
                    "customer_id": p.customer_id,
                    "kind": p.device.kind,
                    "id_hash": p.id_hash,
                    "id_cipher": p.id_cipher,
                    "tail": p.device.tail,
                    "needs_review": False,
                    "created_at": utcnow(),
                }
            )
        # A device claimed by more than one customer is flagged for staff on every claim.
        shared = {h for h, who in owners.items() if len(who) > 1}
        for values in new_rows:
            values["needs_review"] = values["id_hash"] in shared
        created: dict[tuple[int, str], Device] = {}
        if new_rows:
            stmt = insert(Device).returning(Device).execution_options(populate_existing=True)
            result = await session.scalars(stmt, new_rows)
            for row in result.all():
                created[(row.customer_id, row.id_hash)] = row
        stale = [h for h in shared if any(not r.needs_review for k, r in existing.items() if k[1] == h)]
        if stale:
            await session.execute(
                update(Device).where(col(Device.id_hash).in_(stale)).values(needs_review=True)
            )
            for key, row in existing.items():
                if key[1] in shared:
                    row.needs_review = True

        out: list[Registration] = []
        seen: set[tuple[int, str]] = set()
        for p in batch:
            key = (p.customer_id, p.id_hash)
            if key in created and key not in seen:
                out.append(Registration(_view(created[key]), created=True))
            elif key in created:
                out.append(Registration(_view(created[key]), created=False))
            else:
                out.append(Registration(_view(existing[key]), created=False))
            seen.add(key)
        return out

    # -- reading and removing --------------------------------------------------------------

    async def list_for(self, customer_id: int) -> list[DeviceView]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Device).where(Device.customer_id == customer_id).order_by(Device.id)  # type: ignore[arg-type]
            )
            return [_view(r) for r in rows]

    async def remove(self, customer_id: int, device_pk: int) -> bool:
        """Remove one of the customer's own devices by its registry id. Others' devices are untouchable."""
        async with self.db.transaction() as session:
            result = await session.execute(
                sa_delete(Device).where(Device.id == device_pk, Device.customer_id == customer_id)  # type: ignore[arg-type]
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove_by_value(self, customer_id: int, raw: str) -> bool:
        id_hash = self.hash_of(raw)
        async with self.db.transaction() as session:
            result = await session.execute(
                sa_delete(Device).where(Device.id_hash == id_hash, Device.customer_id == customer_id)  # type: ignore[arg-type]
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def erase_in(self, session: AsyncSession, customer_id: int) -> int:
        result = await session.execute(sa_delete(Device).where(Device.customer_id == customer_id))  # type: ignore[arg-type]
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def erase_customer(self, customer_id: int) -> int:
        """Delete every device of a customer; returns how many were deleted."""
        async with self.db.transaction() as session:
            return await self.erase_in(session, customer_id)

    async def lookup_by_device(self, raw: str) -> list[DeviceView]:
        """Staff: every registration of this device (masked)."""
        id_hash = self.hash_of(raw)
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Device).where(Device.id_hash == id_hash).order_by(Device.id)  # type: ignore[arg-type]
            )
            return [_view(r) for r in rows]

    async def lookup_by_customer(self, customer_id: int) -> list[DeviceView]:
        return await self.list_for(customer_id)

    async def count(self) -> dict[str, int]:
        """Registrations per kind, plus 'total', 'customers' and 'needs_review'."""
        async with self.db.sessions() as session:
            per_kind: dict[str, int] = {
                kind: n for kind, n in (await session.execute(select(col(Device.kind), func.count()).group_by(col(Device.kind))))
            }
            customers = await session.scalar(select(func.count(func.distinct(Device.customer_id))))
            review = await session.scalar(
                select(func.count()).select_from(Device).where(Device.needs_review == True)  # type: ignore[arg-type]  # noqa: E712
            )
        out = {k: int(v) for k, v in per_kind.items()}
        out["total"] = sum(out.values())
        out["customers"] = int(customers or 0)
        out["needs_review"] = int(review or 0)
        return out

    async def export_csv(self, out: IO[str], *, batch: int = 5000) -> int:
        """Stream every registration, with the full decrypted ID, as CSV. Staff only; returns the row count."""
        writer = csv.writer(out)
        writer.writerow(["registration_id", "customer_id", "kind", "device_id", "needs_review", "created_at"])
        n = 0
        query = select(
            col(Device.id),
            col(Device.customer_id),
            col(Device.kind),
            col(Device.id_cipher),
            col(Device.needs_review),
            col(Device.created_at),
        ).order_by(col(Device.id))
        async with self.db.engine.connect() as conn:
            stream = await conn.stream(query.execution_options(yield_per=batch))
            async for part in stream.partitions(batch):
                writer.writerows(
                    (r[0], r[1], r[2], self.cipher.decrypt(r[3]), int(r[4]), r[5].isoformat()) for r in part
                )
                n += len(part)
        return n


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
