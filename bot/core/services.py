"""The core services of one process, built once by the composition root and passed in."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.registry import DeviceRegistry

log = logging.getLogger(__name__)


def resolve_device_key(settings: Settings, *, generate_in: Path | None = None) -> str:
    """DEVICE_ID_KEY, or (for the local sandbox only) a key generated once and kept in `generate_in`."""
    if settings.device_id_key is not None:
        return settings.device_id_key.get_secret_value()
    if generate_in is None:
        raise ConfigError(
            "Setting DEVICE_ID_KEY is not set: put a long random secret (at least 16 characters), e.g. the "
            "output of `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`, and keep it safe: "
            "without it the stored device IDs cannot be read."
        )
    path = generate_in / "device_id.key"
    try:
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        generate_in.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n", encoding="utf-8")
        path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(f"The key file {path} cannot be read or written ({exc.strerror}).") from None
    log.info("generated a device-ID key in %s", path)
    return key


@dataclass
class Services:
    settings: Settings
    db: Database
    cipher: DeviceCipher
    registry: DeviceRegistry

    async def close(self) -> None:
        await self.registry.flush()
        await self.db.dispose()


async def build_services(settings: Settings, *, device_key: str, migrate: bool = True) -> Services:
    db = Database(settings.database_url)
    try:
        if migrate:
            await db.upgrade()
        else:
            await db.ping()
    except BaseException:
        await db.dispose()
        raise
    cipher = DeviceCipher(device_key)
    registry = DeviceRegistry(db, cipher, serial_pattern=settings.device_serial_pattern)
    return Services(settings=settings, db=db, cipher=cipher, registry=registry)
