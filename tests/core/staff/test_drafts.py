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
