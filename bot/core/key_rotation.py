"""Re-key the device registry from one DEVICE_ID_KEY to another, in one transaction (see docs/deploy.md).

Every stored device ID is decrypted with the old key, encrypted with the new one and re-hashed; the
recovery state kept under its old hash moves to its new hash. States the feed sent for devices nobody
registered cannot be re-hashed (their IDs were never seen in clear) and stay as they are, until the feed
lists those devices again. Run it with every bot process stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.models import Device, DeviceState


@dataclass(frozen=True)
class Rotation:
    devices: int
    states: int
    states_left: int


async def rotate_device_key(db: Database, old: DeviceCipher, new: DeviceCipher) -> Rotation:
    """Raises ValueError (nothing changed) if a stored ID cannot be read with `old`."""
    moved: dict[str, str] = {}
    async with db.transaction() as session:
        devices = list(await session.scalars(select(Device).order_by(col(Device.id))))
        for device in devices:
            normalized = old.decrypt(device.id_cipher)
            new_hash = new.hash(normalized)
            moved[device.id_hash] = new_hash
            device.id_hash = new_hash
            device.id_cipher = new.encrypt(normalized)
        await session.flush()
        states = 0
        for old_hash, new_hash in moved.items():
            result = await session.execute(
                update(DeviceState).where(col(DeviceState.id_hash) == old_hash).values(id_hash=new_hash)
            )
            states += int(result.rowcount)  # type: ignore[attr-defined]
        left = len(list(await session.scalars(select(col(DeviceState.id_hash))))) - states
    return Rotation(devices=len(devices), states=states, states_left=left)
