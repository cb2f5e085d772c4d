"""Broadcasts: queued once however often confirmed, cancellable, and reported to staff when done."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.errors import UserFacingError
from bot.core.models import Outbox
from bot.core.services import Services
from tests.helpers import IMEI


async def test_broadcast_confirmed_twice_sends_once_and_can_be_cancelled(services: Services) -> None:
    for cid in (1, 2, 3):
        await services.status.subscribe(cid)
    draft = await services.broadcasts.draft(9, "subscribers", "We have news: contacts are back.")
    assert draft.recipients == 3 and draft.status == "draft"
    first = await services.broadcasts.confirm(draft.id)
    second = await services.broadcasts.confirm(draft.id)
    assert first.status == second.status == "sending"
    async with services.db.sessions() as s:
        dms = await s.scalar(select(func.count()).select_from(Outbox).where(Outbox.broadcast_id == draft.id))
    assert dms == 3
    cancelled = await services.broadcasts.cancel(draft.id)
    assert cancelled.status == "cancelled" and cancelled.counts == {"cancelled": 3}
    with pytest.raises(UserFacingError, match="at most"):
        await services.broadcasts.draft(9, "devices", "x" * 4000)
    with pytest.raises(UserFacingError, match="Unknown audience"):
        await services.broadcasts.draft(9, "everyone", "hi")


async def test_broadcast_progress_and_final_report(services: Services) -> None:
    await services.registry.register(5, IMEI)
    b = await services.broadcasts.confirm((await services.broadcasts.draft(9, "devices", "Hello")).id)
    assert b.recipients == 1
    assert await services.broadcasts.progress_tick() == 0  # still pending
    async with services.db.transaction() as s:
        for row in await s.scalars(select(Outbox).where(Outbox.broadcast_id == b.id)):
            row.status = "unreachable"
    assert await services.broadcasts.progress_tick() == 1
    assert await services.broadcasts.progress_tick() == 0
    async with services.db.sessions() as s:
        report = await s.scalar(select(Outbox).where(Outbox.dedupe_key == f"bc-done:{b.id}"))
    assert report is not None and "0 sent, 1 not reachable" in report.payload
    assert (await services.broadcasts.get(b.id)).status == "done"
