"""Status drafts: stored between the preview and the confirmation, in the database (a restart keeps them)."""

from __future__ import annotations

from bot.core.db import Database
from bot.core.staff.drafts import StatusDraft, StatusDrafts


async def test_a_draft_is_kept_under_an_id_the_confirm_button_can_carry(database: Database) -> None:
    drafts = StatusDrafts(database)
    first = await drafts.save("  Contacts unavailable ", "recovering", "Restoring from backup.\n")
    second = await drafts.save("Contacts unavailable", "resolved", "Done.")
    assert len(first) == 16 and int(first, 16) >= 0 and first != second
    again = StatusDrafts(database)  # e.g. after a restart
    assert await again.get(first) == StatusDraft("Contacts unavailable", "recovering", "Restoring from backup.")
    assert await again.get(second) == StatusDraft("Contacts unavailable", "resolved", "Done.")


async def test_an_unknown_draft_is_none(database: Database) -> None:
    assert await StatusDrafts(database).get("0123456789abcdef") is None


async def test_a_draft_carries_progress_promise_and_incident(database: Database) -> None:
    drafts = StatusDrafts(database)
    progress = {"contacts": {"state": "restored", "percent": 100}, "photos": {"state": "partial", "percent": 70}}
    draft_id = await drafts.save(
        "Contacts unavailable", "recovering", "Photos next.", progress=progress,
        next_update_by="2026-11-29T21:00:00+00:00", incident_key="incident:abcd1234",
    )  # fmt: skip
    draft = await StatusDrafts(database).get(draft_id)
    assert draft is not None
    assert draft.progress == progress
    assert (draft.next_update_by, draft.incident_key) == ("2026-11-29T21:00:00+00:00", "incident:abcd1234")
