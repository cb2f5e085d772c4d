"""The device registry: register, list, remove, erase, staff look-ups, count and CSV export.

Registrations are written by a group-commit writer: concurrent `register` calls are
queued, and whatever has queued while the previous transaction was committing goes
into the next one. Each caller is answered only after the transaction holding its
row has committed, so an acknowledgement always means "on disk".
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Protocol

import asyncpg
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.device_export import export_csv
from bot.core.devices import DeviceId, mask_tail, parse_device_id
from bot.core.errors import DatabaseUnavailable
from bot.core.models import Device, utcnow
from bot.core.outage import is_unavailable

log = logging.getLogger(__name__)

_IN_CHUNK = 500  # bound on bound parameters per IN (...) clause
_UNAVAILABLE = (
    "Your device could not be saved just now because our database is unavailable. "
    "Nothing was lost; please try again in a few minutes."
)


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
    username: str = ""


_T = Device.__table__  # type: ignore[attr-defined]
_VIEW_COLS = (_T.c.id, _T.c.customer_id, _T.c.kind, _T.c.tail, _T.c.needs_review, _T.c.created_at)


def _row_view(row: Any) -> DeviceView:
    return DeviceView(row.id, row.customer_id, row.kind, mask_tail(row.tail), row.needs_review, row.created_at)


class DeviceRegistry:
    def __init__(
        self,
        db: Database,
        cipher: DeviceCipher,
        *,
        serial_pattern: str | None = None,
        max_batch: int = 500,
        max_inflight: int | None = None,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.serial_pattern = re.compile(serial_pattern) if serial_pattern else None
        self.max_batch = max_batch
        # One writer whose batches grow with the load measured best on both databases
        # (bench/bench_registry.py); overlapping writers only split the batches.
        self.max_inflight = max_inflight or 1
        self._pending: list[_Pending] = []
        self._writers: set[asyncio.Task[None]] = set()
        self._owners: set[int] | None = None  # customers with a device, read on first use (has_devices)
        self._owners_lock = asyncio.Lock()

    def parse(self, raw: str) -> DeviceId:
        return parse_device_id(raw, self.serial_pattern)

    def hash_of(self, raw: str) -> str:
        return self.cipher.hash(self.parse(raw).normalized)

    # -- registering ----------------------------------------------------------------------

    async def register(self, customer_id: int, raw: str, *, username: str = "") -> Registration:
        """Validate and store a device for a customer. Idempotent per (customer, device).

        `username` is the customer's Discord name at registration, for staff's spreadsheet.

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
            username[:64],
        )
        self._pending.append(pending)
        self._writers = {w for w in self._writers if not w.done()}
        if len(self._writers) < self.max_inflight:
            self._writers.add(loop.create_task(self._write_loop(), name="device-registry-writer"))
        # shield: a caller that gives up must not cancel the write of the others in its batch
        result = await asyncio.shield(pending.future)
        if self._owners is not None:
            self._owners.add(customer_id)
        return result

    async def has_devices(self, customer_id: int) -> bool:
        """Whether the customer may have registered devices, without a query per question: the owners are
        read once, then kept up to date by this process's registrations (a removal keeps a stale "maybe")."""
        if self._owners is None:
            async with self._owners_lock:  # the first questions after a start wait for one read, not one each
                if self._owners is None:
                    async with self.db.sessions() as session:
                        self._owners = set(await session.scalars(select(col(Device.customer_id)).distinct()))
        return customer_id in self._owners

    async def flush(self) -> None:
        """Wait until every registration queued so far is written (used at shutdown)."""
        while running := {w for w in self._writers if not w.done()}:
            await asyncio.wait(running)

    async def _write_loop(self) -> None:
        while self._pending:
            try:
                async with self.db.engine.connect() as conn:
                    # one connection for as long as registrations keep arriving
                    while self._pending:
                        batch = self._pending[: self.max_batch]
                        del self._pending[: self.max_batch]
                        self._settle(batch, await self._write_with_retry(conn, batch))
            except Exception as exc:  # the connection itself failed
                if not is_unavailable(exc):  # the next loop takes a new connection
                    log.error("device registry writer lost its connection: %s", type(exc).__name__)
                    await asyncio.sleep(0.05)
                    continue
                self.db.outage.failed("storing registrations", exc)
                batch, self._pending = self._pending, []
                self._settle(batch, DatabaseUnavailable(_UNAVAILABLE))

    def _settle(self, batch: list[_Pending], outcome: list[Registration] | DatabaseUnavailable) -> None:
        for i, p in enumerate(batch):
            if p.future.done():
                continue
            if isinstance(outcome, DatabaseUnavailable):
                p.future.set_exception(outcome)
            else:
                p.future.set_result(outcome[i])

    async def _write_with_retry(
        self, conn: AsyncConnection, batch: list[_Pending]
    ) -> list[Registration] | DatabaseUnavailable:
        delay = 0.05
        for attempt in range(1, 6):
            try:
                async with self.db.writing(), conn.begin():
                    return await self._write_batch(conn, batch)
            except (IntegrityError, asyncpg.UniqueViolationError):
                # another writer stored one of these between our read and our insert:
                # read again and the row is found as existing.
                log.info("registration batch raced with another writer; retrying (attempt %d)", attempt)
            except Exception as exc:
                if not is_unavailable(exc):
                    log.exception("registration batch of %d failed", len(batch))
                    self._settle(batch, DatabaseUnavailable(_UNAVAILABLE))
                    raise
                # the customer is told to try again; the operator reads why once, in the outage's warning
                if conn.invalidated or attempt == 5:
                    self.db.outage.failed("storing registrations", exc)
                    return DatabaseUnavailable(_UNAVAILABLE)
                reason = type(getattr(exc, "orig", exc)).__name__
                log.warning("registration batch failed (%s); attempt %d", reason, attempt)
            await asyncio.sleep(delay)
            delay *= 2
        return DatabaseUnavailable(_UNAVAILABLE)

    async def _write_batch(self, conn: AsyncConnection, batch: list[_Pending]) -> list[Registration]:
        """One transaction: read what exists, insert what is new, flag devices claimed twice."""
        store: _BatchStore = await _PgStore.on(conn) if not self.db.is_sqlite else _CoreStore(conn)
        existing: dict[tuple[int, str], DeviceView] = {}
        owners: dict[str, set[int]] = {}
        for view, id_hash in await store.find(sorted({p.id_hash for p in batch})):
            existing[(view.customer_id, id_hash)] = view
            owners.setdefault(id_hash, set()).add(view.customer_id)

        new_rows: dict[tuple[int, str], dict[str, Any]] = {}
        now = utcnow()
        for p in batch:
            key = (p.customer_id, p.id_hash)
            if key in existing or key in new_rows:
                continue
            owners.setdefault(p.id_hash, set()).add(p.customer_id)
            new_rows[key] = {
                "customer_id": p.customer_id,
                "kind": p.device.kind,
                "id_hash": p.id_hash,
                "id_cipher": p.id_cipher,
                "tail": p.device.tail,
                "needs_review": False,
                "created_at": now,
                "username": p.username,
            }
        # A device claimed by more than one customer is flagged for staff on every claim.
        shared = {h for h, who in owners.items() if len(who) > 1}
        for values in new_rows.values():
            values["needs_review"] = values["id_hash"] in shared
        created = {(v.customer_id, h): v for v, h in await store.insert(list(new_rows.values()))} if new_rows else {}
        stale = sorted({k[1] for k, v in existing.items() if k[1] in shared and not v.needs_review})
        if stale:
            await store.flag(stale)

        out: list[Registration] = []
        first_seen: set[tuple[int, str]] = set()
        for p in batch:
            key = (p.customer_id, p.id_hash)
            if key in created:
                out.append(Registration(created[key], created=key not in first_seen))
                first_seen.add(key)
            else:
                out.append(Registration(existing[key], created=False))
        return out

    # -- reading and removing --------------------------------------------------------------

    async def list_for(self, customer_id: int) -> list[DeviceView]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Device).where(Device.customer_id == customer_id).order_by(Device.id)  # type: ignore[arg-type]
            )
            return [_row_view(r) for r in rows]

    async def own_ids(self, customer_id: int) -> list[str]:
        """The customer's own device IDs in full, for the one place that needs them: showing them masked."""
        async with self.db.sessions() as session:
            tokens = await session.scalars(select(col(Device.id_cipher)).where(col(Device.customer_id) == customer_id))
            return [self.cipher.decrypt(t) for t in tokens]

    async def remove(self, customer_id: int, device_pk: int) -> bool:
        """Remove one of the customer's own devices by its registry id. Others' devices are untouchable."""
        async with self.db.transaction() as session:
            hashes = list(
                await session.scalars(
                    select(col(Device.id_hash)).where(
                        col(Device.id) == device_pk, col(Device.customer_id) == customer_id
                    )
                )
            )
            result = await session.execute(
                sa_delete(Device).where(Device.id == device_pk, Device.customer_id == customer_id)  # type: ignore[arg-type]
            )
            await clear_single_claims(session, hashes)
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove_by_value(self, customer_id: int, raw: str) -> bool:
        id_hash = self.hash_of(raw)
        async with self.db.transaction() as session:
            result = await session.execute(
                sa_delete(Device).where(Device.id_hash == id_hash, Device.customer_id == customer_id)  # type: ignore[arg-type]
            )
            await clear_single_claims(session, [id_hash])
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def erase_in(self, session: AsyncSession, customer_id: int) -> int:
        hashes = list(await session.scalars(select(col(Device.id_hash)).where(col(Device.customer_id) == customer_id)))
        result = await session.execute(sa_delete(Device).where(Device.customer_id == customer_id))  # type: ignore[arg-type]
        await clear_single_claims(session, hashes)
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
            return [_row_view(r) for r in rows]

    async def lookup_by_customer(self, customer_id: int) -> list[DeviceView]:
        return await self.list_for(customer_id)

    async def count(self) -> dict[str, int]:
        """Registrations per kind, plus 'total', 'customers' and 'needs_review'."""
        async with self.db.sessions() as session:
            by_kind = select(col(Device.kind), func.count()).group_by(col(Device.kind))
            per_kind: dict[str, int] = {kind: n for kind, n in await session.execute(by_kind)}
            customers = await session.scalar(select(func.count(func.distinct(Device.customer_id))))
            review = await session.scalar(
                select(func.count()).select_from(Device).where(Device.needs_review == True)  # type: ignore[arg-type]  # noqa: E712
            )
        out = {k: int(v) for k, v in per_kind.items()}
        out["total"] = sum(out.values())
        out["customers"] = int(customers or 0)
        out["needs_review"] = int(review or 0)
        return out

    async def export_csv(self, out: IO[str], *, batch: int = 5000, spreadsheet: bool = True) -> int:
        """Every registration with the full ID as CSV, for staff (see bot/core/device_export.py)."""
        return await export_csv(self.db, self.cipher, out, batch=batch, spreadsheet=spreadsheet)


async def clear_single_claims(session: AsyncSession, hashes: Sequence[str]) -> None:
    """A device registered by one customer only is no longer shared: its "needs review" flag goes."""
    for chunk in _chunks(sorted(set(hashes)), _IN_CHUNK):
        owners = dict(
            (
                await session.execute(
                    select(col(Device.id_hash), func.count())
                    .where(col(Device.id_hash).in_(chunk))
                    .group_by(col(Device.id_hash))
                )
            ).all()
        )
        single = [h for h, n in owners.items() if n <= 1]
        if single:
            await session.execute(update(Device).where(col(Device.id_hash).in_(single)).values(needs_review=False))


class _BatchStore(Protocol):
    async def find(self, hashes: list[str]) -> list[tuple[DeviceView, str]]: ...
    async def insert(self, rows: list[dict[str, Any]]) -> list[tuple[DeviceView, str]]: ...
    async def flag(self, hashes: list[str]) -> None: ...


class _CoreStore:
    """SQLAlchemy Core statements: any database."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def find(self, hashes: list[str]) -> list[tuple[DeviceView, str]]:
        out = []
        for chunk in _chunks(hashes, _IN_CHUNK):
            for row in await self.conn.execute(select(*_VIEW_COLS, _T.c.id_hash).where(_T.c.id_hash.in_(chunk))):
                out.append((_row_view(row), row.id_hash))
        return out

    async def insert(self, rows: list[dict[str, Any]]) -> list[tuple[DeviceView, str]]:
        # results are matched by key, not order, so the driver may batch the rows into one statement
        result = await self.conn.execute(insert(_T).returning(*_VIEW_COLS, _T.c.id_hash), rows)
        return [(_row_view(row), row.id_hash) for row in result]

    async def flag(self, hashes: list[str]) -> None:
        await self.conn.execute(update(_T).where(_T.c.id_hash.in_(hashes)).values(needs_review=True))


class _PgStore:
    """The same three statements sent straight through asyncpg, inside the same transaction.

    On PostgreSQL the ORM/Core layers cost several times the database's own time per batch; this
    path is what lets concurrent registrations reach thousands per second (bench/bench_registry.py).
    """

    # constant statements: only values travel as parameters
    _FIND = (
        "SELECT id, customer_id, kind, tail, needs_review, created_at, id_hash FROM devices "
        "WHERE id_hash = ANY($1::text[])"
    )
    _INSERT = (
        "INSERT INTO devices (customer_id, kind, id_hash, id_cipher, tail, needs_review, created_at, username) "
        "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], "
        "$7::timestamptz[], $8::text[]) RETURNING id, customer_id, kind, tail, needs_review, created_at, id_hash"
    )
    _COLUMNS = ("customer_id", "kind", "id_hash", "id_cipher", "tail", "needs_review", "created_at", "username")

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    @classmethod
    async def on(cls, conn: AsyncConnection) -> _PgStore:
        raw = await conn.get_raw_connection()
        return cls(raw.driver_connection)

    @staticmethod
    def _views(records: Iterable[Any]) -> list[tuple[DeviceView, str]]:
        return [
            (DeviceView(r[0], r[1], r[2], mask_tail(r[3]), r[4], r[5].astimezone(UTC)), r[6]) for r in records
        ]

    async def find(self, hashes: list[str]) -> list[tuple[DeviceView, str]]:
        return self._views(await self.driver.fetch(self._FIND, hashes))

    async def insert(self, rows: list[dict[str, Any]]) -> list[tuple[DeviceView, str]]:
        return self._views(await self.driver.fetch(self._INSERT, *([r[c] for r in rows] for c in self._COLUMNS)))

    async def flag(self, hashes: list[str]) -> None:
        await self.driver.execute("UPDATE devices SET needs_review = true WHERE id_hash = ANY($1::text[])", hashes)


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
