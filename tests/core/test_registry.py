from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.devices import InvalidDeviceId, luhn_ok
from bot.core.errors import DatabaseUnavailable
from bot.core.models import DeviceState
from bot.core.registry import DeviceRegistry
from tests.conftest import TEST_KEY

IMEI_A = "490154203237518"
IMEI_B = "352099001761481"
MEID = "AF0123450ABCDE"


def imei(n: int) -> str:
    body = f"35{n:012d}"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@pytest.fixture
def registry(database: Database, cipher: DeviceCipher) -> DeviceRegistry:
    return DeviceRegistry(database, cipher)


async def test_register_is_acknowledged_with_a_masked_id_and_is_idempotent(registry: DeviceRegistry) -> None:
    first = await registry.register(1001, "IMEI: 49-015420-323751-8")
    assert first.created
    assert first.device.masked == "****7518"
    assert first.device.kind == "imei"
    again = await registry.register(1001, IMEI_A)
    assert not again.created
    assert again.device.id == first.device.id
    assert [d.id for d in await registry.list_for(1001)] == [first.device.id]


async def test_acknowledged_registration_is_visible_to_a_fresh_engine(
    registry: DeviceRegistry, database: Database
) -> None:
    await registry.register(7, MEID)
    other = Database(database.url, connect_args=database.connect_args)
    try:
        fresh = DeviceRegistry(other, DeviceCipher(TEST_KEY))
        assert [d.masked for d in await fresh.list_for(7)] == ["****BCDE"]
    finally:
        await other.dispose()


async def test_second_customer_is_accepted_and_flagged_without_revealing_the_first(
    registry: DeviceRegistry,
) -> None:
    a = await registry.register(1, IMEI_A)
    b = await registry.register(2, IMEI_A)
    assert b.created and b.device.needs_review
    assert not a.device.needs_review  # as it was when acknowledged
    mine = await registry.list_for(2)
    assert [d.customer_id for d in mine] == [2]
    staff = await registry.lookup_by_device(IMEI_A)
    assert sorted(d.customer_id for d in staff) == [1, 2]
    assert all(d.needs_review for d in staff)
    assert (await registry.count())["needs_review"] == 2


async def test_an_empty_registry_counts_nobody(registry: DeviceRegistry) -> None:
    assert await registry.count() == {"total": 0, "customers": 0, "needs_review": 0}


async def test_invalid_input_is_refused_and_nothing_is_stored(registry: DeviceRegistry) -> None:
    for raw in ("490154203237519", "'; DROP TABLE devices; --", "**bold**", "x" * 10_000_000):
        with pytest.raises(InvalidDeviceId):
            await registry.register(5, raw)
    assert (await registry.count())["total"] == 0


async def test_remove_touches_only_the_owners_device(registry: DeviceRegistry) -> None:
    mine = await registry.register(1, IMEI_A)
    theirs = await registry.register(2, IMEI_B)
    assert not await registry.remove(1, theirs.device.id)
    assert not await registry.remove_by_value(1, IMEI_B)
    assert await registry.remove(1, mine.device.id)
    assert await registry.list_for(1) == []
    assert [d.id for d in await registry.list_for(2)] == [theirs.device.id]
    assert await registry.remove_by_value(2, "35-209900-176148-1")
    assert (await registry.count())["total"] == 0


async def test_erase_customer_removes_everything_of_theirs_only(registry: DeviceRegistry) -> None:
    await registry.register(1, IMEI_A)
    await registry.register(1, MEID)
    await registry.register(2, IMEI_B)
    assert await registry.erase_customer(1) == 2
    assert await registry.lookup_by_customer(1) == []
    assert len(await registry.lookup_by_customer(2)) == 1
    assert await registry.erase_customer(1) == 0


async def test_concurrent_registrations_are_all_stored_once(registry: DeviceRegistry) -> None:
    ids = [imei(n) for n in range(300)]
    calls = [registry.register(n % 50, ids[n]) for n in range(300)]
    calls += [registry.register(n % 50, ids[n]) for n in range(0, 300, 3)]  # repeats in flight
    results = await asyncio.gather(*calls)
    assert sum(r.created for r in results) == 300
    counts = await registry.count()
    assert counts["total"] == 300
    assert counts["customers"] == 50
    listed = await registry.list_for(3)
    assert sorted(d.masked[-4:] for d in listed) == sorted(ids[n][-4:] for n in range(3, 300, 50))


async def test_two_registries_racing_on_one_database_store_one_row(database: Database) -> None:
    r1 = DeviceRegistry(database, DeviceCipher(TEST_KEY))
    r2 = DeviceRegistry(database, DeviceCipher(TEST_KEY))
    results = await asyncio.gather(*[r.register(9, IMEI_A) for r in (r1, r2) for _ in range(5)])
    assert sum(r.created for r in results) == 1
    assert len({r.device.id for r in results}) == 1
    assert (await r1.count())["total"] == 1


async def test_a_cancelled_caller_does_not_lose_the_batch(registry: DeviceRegistry) -> None:
    t1 = asyncio.create_task(registry.register(1, IMEI_A))
    t2 = asyncio.create_task(registry.register(2, IMEI_B))
    await asyncio.sleep(0)
    t1.cancel()
    assert (await t2).created
    with pytest.raises(asyncio.CancelledError):
        await t1
    await registry.flush()
    # the cancelled caller's row was in flight: it is still written (idempotent, never half-done)
    assert (await registry.count())["total"] == 2
    assert len(await registry.list_for(2)) == 1


async def test_export_streams_full_ids_as_csv(registry: DeviceRegistry) -> None:
    await registry.register(1, IMEI_A)
    await registry.register(2, "meid af0123450abcde")
    buf = io.StringIO()
    assert await registry.export_csv(buf, batch=1, spreadsheet=False) == 2
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [(r["customer_id"], r["kind"], r["device_id"]) for r in rows] == [
        ("1", "imei", IMEI_A), ("2", "meid", MEID)
    ]


async def test_the_spreadsheet_export_keeps_every_digit_and_says_who_and_how_far(
    registry: DeviceRegistry, database: Database
) -> None:
    big = 1234567890123456789  # a Discord id: 19 digits, which spreadsheets round to 1.23456789012346E+18
    await registry.register(big, IMEI_A, username="alice")
    await registry.register(2, "meid af0123450abcde")
    async with database.transaction() as s:
        s.add(
            DeviceState(
                id_hash=registry.hash_of(IMEI_A),
                state="partial",
                progress=json.dumps({"photos": {"state": "partial", "percent": 60}, "contacts": {"state": "restored"}}),
                updated_at=datetime(2026, 11, 28, 9, tzinfo=UTC),
            )
        )
    buf = io.StringIO()
    assert await registry.export_csv(buf) == 2
    header, first, second = list(csv.reader(io.StringIO(buf.getvalue())))
    assert header == [
        "registration_id", "customer_id", "username", "kind", "device_id", "needs_review", "registered_at",
        "recovery_state", "recovery_updated_at", "contacts", "photos",
    ]
    row = dict(zip(header, first, strict=True))
    assert row["customer_id"] == f'="{big}"' and row["device_id"] == f'="{IMEI_A}"' and row["username"] == "alice"
    assert (row["recovery_state"], row["contacts"], row["photos"]) == ("partial", "restored", "partial (60%)")
    assert row["recovery_updated_at"] == "2026-11-28T09:00:00+00:00" and row["needs_review"] == "no"
    other = dict(zip(header, second, strict=True))
    assert other["device_id"] == MEID and other["recovery_state"] == "pending" and other["photos"] == ""


async def test_export_with_the_wrong_key_says_so(registry: DeviceRegistry, database: Database) -> None:
    await registry.register(1, IMEI_A)
    wrong = DeviceRegistry(database, DeviceCipher("another-key-entirely-0000"))
    with pytest.raises(ValueError, match="DEVICE_ID_KEY"):
        await wrong.export_csv(io.StringIO())
    assert await wrong.lookup_by_device(IMEI_A) == []  # the keyed hash differs too


async def test_sqlite_file_alone_reveals_no_device_id(tmp_path: Path, cipher: DeviceCipher) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/at-rest.db")
    await db.upgrade()
    reg = DeviceRegistry(db, cipher)
    await reg.register(1, IMEI_A)
    await reg.register(2, MEID)
    await db.dispose()  # checkpoints the WAL into the main file
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (IMEI_A, MEID, MEID.lower()):
        assert secret.encode() not in raw
    assert b"7518" in raw  # the tail is kept for masked display; the rest is not


async def test_locked_sqlite_fails_clearly_and_keeps_what_was_stored(
    tmp_path: Path, cipher: DeviceCipher, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}", sqlite_busy_ms=50)
    await db.upgrade()
    reg = DeviceRegistry(db, cipher)
    await reg.register(1, IMEI_A)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            await reg.register(2, IMEI_B)
        # the customer is asked to try again, without the database's internals; the operator reads why
        assert "try again" in str(info.value) and "sqlite" not in str(info.value)
        assert "database is locked" in caplog.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert (await reg.register(2, IMEI_B)).created
    assert (await reg.count())["total"] == 2
    await db.dispose()


async def test_unreachable_postgres_fails_clearly() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    with pytest.raises(DatabaseUnavailable) as info:
        await db.upgrade()
    await db.dispose()
    assert "cannot be used" in str(info.value)
    assert "server is running" in str(info.value)


async def test_damaged_sqlite_file_fails_clearly_and_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    path.write_bytes(b"this is not a database" * 100)
    db = Database(f"sqlite+aiosqlite:///{path}")
    with pytest.raises(DatabaseUnavailable, match="not a SQLite database"):
        await db.upgrade()
    await db.dispose()
    assert path.read_bytes() == b"this is not a database" * 100


async def test_has_devices_knows_owners_without_a_query_per_question(tmp_path) -> None:
    from bot.core.crypto import DeviceCipher
    from bot.core.db import Database
    from bot.core.registry import DeviceRegistry
    from tests.conftest import TEST_KEY

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/owners.db")
    await db.upgrade()
    try:
        registry = DeviceRegistry(db, DeviceCipher(TEST_KEY))
        await registry.register(1, "490154203237518")
        assert await registry.has_devices(1) and not await registry.has_devices(2)
        await registry.register(2, "356938035643809")  # registered after the owners were read
        assert await registry.has_devices(2)
        fresh = DeviceRegistry(db, DeviceCipher(TEST_KEY))
        assert await fresh.has_devices(2) and not await fresh.has_devices(3)
    finally:
        await db.dispose()
