"""Rotating DEVICE_ID_KEY: every device readable and findable under the new key, or nothing changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.key_rotation import rotate_device_key
from bot.core.models import Device, DeviceState, utcnow
from bot.core.registry import DeviceRegistry
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
IMEI, OTHER = "490154203237518", "356938035643809"
NEW_KEY = "a-new-device-id-key-9876543210"


async def _seed(db: Database) -> None:
    old = DeviceCipher(TEST_KEY)
    registry = DeviceRegistry(db, old)
    await registry.register(1, IMEI)
    await registry.register(2, IMEI)  # the same phone registered by two customers
    await registry.register(2, OTHER)
    await registry.flush()
    async with db.transaction() as s:
        s.add(DeviceState(id_hash=old.hash(IMEI), state="restored", updated_at=utcnow()))
        s.add(DeviceState(id_hash=old.hash("000000000000000"), state="pending", updated_at=utcnow()))


async def test_rotation_keeps_every_device_readable_and_findable(database: Database) -> None:
    await _seed(database)
    done = await rotate_device_key(database, DeviceCipher(TEST_KEY), DeviceCipher(NEW_KEY))
    assert (done.devices, done.states, done.states_left) == (3, 1, 1)
    new = DeviceRegistry(database, DeviceCipher(NEW_KEY))
    assert {d.customer_id for d in await new.lookup_by_device(IMEI)} == {1, 2}
    assert sorted(await new.own_ids(2)) == sorted([IMEI, OTHER])
    async with database.sessions() as s:
        state = await s.get(DeviceState, DeviceCipher(NEW_KEY).hash(IMEI))
        assert state is not None and state.state == "restored"
    assert await DeviceRegistry(database, DeviceCipher(TEST_KEY)).lookup_by_device(IMEI) == []


async def test_the_wrong_old_key_changes_nothing(database: Database) -> None:
    await _seed(database)
    async with database.sessions() as s:
        before = [(d.id_hash, d.id_cipher) for d in await s.scalars(select(Device).order_by(Device.id))]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        await rotate_device_key(database, DeviceCipher("not-the-key-it-was-stored-with"), DeviceCipher(NEW_KEY))
    async with database.sessions() as s:
        after = [(d.id_hash, d.id_cipher) for d in await s.scalars(select(Device).order_by(Device.id))]  # type: ignore[arg-type]
    assert after == before


async def test_the_command(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    db = Database(url)
    await db.upgrade()
    await _seed(db)
    await db.dispose()
    (tmp_path / "new.key").write_text(NEW_KEY + "\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "devices", "rotate-key", "--new-key-file", "new.key"],
        cwd=tmp_path, env={**env, "DEVICE_ID_KEY": TEST_KEY}, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Re-encrypted 3 device IDs" in proc.stdout
    again = subprocess.run(  # run twice by mistake: the old key no longer reads anything
        [sys.executable, "-m", "bot", "devices", "rotate-key", "--new-key-file", "new.key"],
        cwd=tmp_path, env={**env, "DEVICE_ID_KEY": TEST_KEY}, capture_output=True, text=True, timeout=120,
    )
    assert again.returncode == 2 and "Nothing was changed" in again.stderr
    db = Database(url)
    try:
        assert sorted(await DeviceRegistry(db, DeviceCipher(NEW_KEY)).own_ids(2)) == sorted([IMEI, OTHER])
    finally:
        await db.dispose()
