"""Helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

import json
import struct
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from bot.core.services import Services
    from bot.sandbox import Message

IMEI = "490154203237518"


def buttons(message: Message) -> dict[str, str]:
    """label -> custom_id of every button on a message."""
    out = {}
    for row in message.components:
        for c in row.get("components", []):
            if c.get("type") == 2 and "custom_id" in c:
                out[c["label"]] = c["custom_id"]
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def every_row_naming(services: Services, customer_id: int) -> list[tuple[str, str]]:
    """Every (table, column) in the whole SQLite database that still holds this customer's id or IMEI."""
    found = []
    async with services.db.engine.connect() as conn:
        tables = [r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        for table in tables:
            cols = [r[1] for r in await conn.execute(text(f'PRAGMA table_info("{table}")'))]
            for c in cols:
                n = await conn.scalar(
                    text(
                        f'SELECT count(*) FROM "{table}" '
                        f'WHERE CAST("{c}" AS TEXT) LIKE :a OR CAST("{c}" AS TEXT) LIKE :b'
                    ),
                    {"a": f"%{customer_id}%", "b": f"%{IMEI[-6:]}%"},
                )
                if n:
                    found.append((table, c))
    return found


def recovery_feed(
    updates: list[dict[str, Any]],
    devices: list[dict[str, Any]] | None = None,
    cursor: str | None = None,
    state: str = "recovering",
) -> bytes:
    """A status feed in the "recovery" format: one incident with these updates, and device states."""
    doc: dict[str, Any] = {
        "version": 1,
        "generated_at": "2026-11-28T12:00:00Z",
        "incidents": [
            {
                "id": "inc1",
                "title": "Contacts and photos unavailable",
                "state": state,
                "impact": "critical",
                "created_at": "2026-11-27T08:00:00Z",
                "updated_at": "2026-11-28T12:00:00Z",
                "updates": updates,
            }
        ],
    }
    if devices is not None:
        doc["devices"] = {"items": devices, "next_cursor": cursor}
    return json.dumps(doc).encode()


def upd(uid: str, hour: int, body: str, state: str = "recovering", **extra: Any) -> dict[str, Any]:
    return {"id": uid, "state": state, "body": body, "published_at": f"2026-11-28T{hour:02d}:00:00Z", **extra}
