"""The audit log: which staff member did what, with every device ID in the arguments masked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.core.db import Database
from bot.core.devices import InvalidDeviceId, parse_device_id
from bot.core.models import AuditEntry
from bot.core.text.scanner import redact_device_ids


def _masked(value: Any) -> Any:
    """Audit arguments with every device ID masked (a staff member's own typing included)."""
    if isinstance(value, str):
        try:
            return parse_device_id(value).masked if len(value) <= 64 else redact_device_ids(value)
        except InvalidDeviceId:
            return redact_device_ids(value)[:500]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class AuditView:
    created_at: datetime
    actor: str
    action: str
    subject: str | None
    args: dict[str, Any]


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor_id: int | None, action: str, subject_id: int | None = None, **args: Any) -> None:
        async with self.db.transaction() as session:
            session.add(
                AuditEntry(
                    actor_id=actor_id,
                    action=action[:40],
                    subject_id=subject_id,
                    args=json.dumps(_masked(args), default=str)[:4000],
                )
            )

    async def latest(self, limit: int = 20) -> list[AuditView]:
        async with self.db.sessions() as session:
            rows = await session.scalars(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit))
            return [
                AuditView(
                    r.created_at,
                    f"<@{r.actor_id}>" if r.actor_id else ("erased user" if r.actor_hash else "command line"),
                    r.action,
                    f"<@{r.subject_id}>" if r.subject_id else ("erased customer" if r.subject_hash else None),
                    json.loads(r.args or "{}"),
                )
                for r in rows
            ]
