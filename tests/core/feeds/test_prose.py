"""Hints read from an update's prose: per-data-type progress and the promised next update."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.feeds.models import DataProgress
from bot.core.feeds.prose import next_update_from_text, progress_from_text

PUBLISHED = datetime(2025, 7, 16, 19, 0, tzinfo=UTC)


def test_progress_from_text() -> None:
    text = "Update:\nContacts: 80% restored\n- Photos: pending\nCalendar - 100%\nWeather: 50%\nnotes: lost\n"
    assert progress_from_text(text) == {
        "contacts": DataProgress(state="partial", percent=80),
        "photos": DataProgress(state="pending", percent=None),
        "calendar": DataProgress(state="restored", percent=100),
        "notes": DataProgress(state="not_recoverable", percent=None),
    }
    assert progress_from_text("Address book: 0%") == {"contacts": DataProgress(state="pending", percent=0)}
    assert progress_from_text("We are still investigating the issue") == {}
    assert progress_from_text("Photos: soon") == {}  # neither a known word nor a percentage


def test_next_update_from_text() -> None:
    assert next_update_from_text("We will provide another update by 20:15 UTC.", PUBLISHED) == datetime(
        2025, 7, 16, 20, 15, tzinfo=UTC
    )
    # 01:00 CEST is after 21:00 CEST, the time of publishing: the next day, 23:00 UTC
    assert next_update_from_text("the next update by 01:00 CEST", PUBLISHED) == datetime(2025, 7, 16, 23, 0, tzinfo=UTC)
    assert next_update_from_text("next update at 18:00 UTC", PUBLISHED) == datetime(2025, 7, 17, 18, 0, tzinfo=UTC)
    assert next_update_from_text("Next update in 2 hours", PUBLISHED) == datetime(2025, 7, 16, 21, 0, tzinfo=UTC)
    assert next_update_from_text("an update within the next 30 mins", PUBLISHED) == datetime(
        2025, 7, 16, 19, 30, tzinfo=UTC
    )
    assert next_update_from_text("next update by 20:15 XYZ", PUBLISHED) is None
    assert next_update_from_text("We are monitoring.", PUBLISHED) is None
