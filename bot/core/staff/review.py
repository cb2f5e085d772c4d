"""The review queue: devices registered by more than one customer ("needs review"), and resolving them.

Staff keep one owner (the other registrations are removed, and their owners told by DM) or confirm that
both are right (a shared family phone, say); either way the flag goes. It also goes by itself when a
claimant removes the device or erases their data (`registry.clear_single_claims`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select, update
from sqlmodel import col

from bot.core.db import Database
from bot.core.devices import mask_tail
from bot.core.models import Device
from bot.core.outbox.notices import TextPost
from bot.core.outbox.rows import enqueue, outbox_row

REMOVED_NOTICE = (
    "Your registration of the device {masked} was removed: another customer registered the same device, and "
    "our staff confirmed it is theirs. If this device is yours, please reply here or use `/human`."
)


@dataclass(frozen=True, slots=True)
class Claim:
    registration_id: int
    customer_id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SharedDevice:
    kind: str
    masked: str
    claims: list[Claim]


@dataclass(frozen=True, slots=True)
class Resolution:
    masked: str
    kept: list[int]  # customers still holding the device
    removed: list[int]  # customers whose registration was removed


class ReviewQueue:
    def __init__(self, db: Database, *, on_queued: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_queued = on_queued  # wakes the outbox worker after notices are committed

    async def list(self, limit: int = 25) -> list[SharedDevice]:
        """Devices waiting for review, the oldest claim first, each with every claimant."""
        async with self.db.sessions() as session:
            rows = list(
                await session.scalars(select(Device).where(col(Device.needs_review).is_(True)).order_by(col(Device.id)))
            )
        by_hash: dict[str, list[Device]] = {}
        for d in rows:
            by_hash.setdefault(d.id_hash, []).append(d)
        return [
            SharedDevice(
                group[0].kind,
                mask_tail(group[0].tail),
                [Claim(d.id or 0, d.customer_id, d.created_at) for d in group],
            )
            for group in list(by_hash.values())[:limit]
        ]

    async def resolve(self, registration_id: int, keep: Literal["this", "all"]) -> Resolution | None:
        """Keep only this registration's customer ("this"), or every claimant ("all"); None: not in review."""
        queued = 0
        async with self.db.transaction() as session:
            chosen = await session.get(Device, registration_id)
            if chosen is None or not chosen.needs_review:
                return None
            group = list(await session.scalars(select(Device).where(col(Device.id_hash) == chosen.id_hash)))
            masked = mask_tail(chosen.tail)
            if keep == "all":
                kept, removed = [d.customer_id for d in group], []
            else:
                kept = [chosen.customer_id]
                removed = [d.customer_id for d in group if d.id != chosen.id]
                await session.execute(
                    delete(Device).where(col(Device.id_hash) == chosen.id_hash, col(Device.id) != chosen.id)
                )
                queued = await enqueue(
                    session,
                    [
                        outbox_row(
                            "dm",
                            cid,
                            f"review-removed:{registration_id}:{cid}",
                            TextPost(content=REMOVED_NOTICE.format(masked=masked)),
                            customer_id=cid,
                        )
                        for cid in removed
                    ],
                )
            await session.execute(
                update(Device).where(col(Device.id_hash) == chosen.id_hash).values(needs_review=False)
            )
        if queued and self.on_queued is not None:
            self.on_queued()
        return Resolution(masked, kept, removed)
