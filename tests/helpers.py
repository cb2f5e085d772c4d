"""Helpers shared by several test modules (test modules never import one another).

Status feeds: the feed-parser tests' clock, inputs and fixture reader. Real captures live in
tests/fixtures/status-feeds/, synthetic ones in tests/fixtures/synthetic/.
Discord and data: buttons on a message, PNG sizes, rows still naming a customer, recovery feeds.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

if TYPE_CHECKING:
    from bot.core.services import Services
    from bot.sandbox import Message

# ------------------------------------------------------------------------------ status feeds

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "status-feeds"
DATA = REPO / "tests" / "fixtures" / "synthetic"
SAMPLE_RECOVERY = REPO / "prompts" / "sample-status" / "recovery.json"
SCHEMA = REPO / "docs" / "recovery-feed.schema.json"
NOW = datetime(2025, 7, 16, 12, 0, tzinfo=UTC)
BEFORE_EDIT = "githubstatus_history_2025-07-14_before-edit.atom"
AFTER_EDIT = "githubstatus_history_2025-07-15_after-edit.atom"
EDITED_ENTRY = "tag:www.githubstatus.com,2005:Incident/25724106"


def fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture {path} is missing from the repository")
    return path.read_bytes()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# ------------------------------------------------------------------------------ discord and data

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
