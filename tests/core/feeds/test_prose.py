"""Hints read from an update's prose: per-data-type progress and the promised next update."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.feeds.models import DataProgress
from bot.core.feeds.prose import next_update_from_text, parse_promise, progress_from_text

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will provide another update by 20:15 UTC.", "2025-07-16T20:15Z"),
        ("Next update by 20:15 UTC", "2025-07-16T20:15Z"),  # at the start of a sentence
        ("NEXT UPDATE BY 20:15 utc", "2025-07-16T20:15Z"),
        ("We'll post another update by 2:30 PM PT.", "2025-07-16T21:30Z"),  # PDT in July
        ("Our next update will be at 21:30 UTC.", "2025-07-16T21:30Z"),
        ("Next update: 21:00 UTC", "2025-07-16T21:00Z"),
        ("Next update expected by 10:00 PM EDT", "2025-07-17T02:00Z"),
        ("An update will be provided no later than 23:00 GMT+1.", "2025-07-16T22:00Z"),
        ("Next update in 60 minutes", "2025-07-16T20:00Z"),  # githubstatus.com, in the corpus
        ("We will provide an update in 30 minutes.", "2025-07-16T19:30Z"),
        ("We will provide another update within 60 minutes.", "2025-07-16T20:00Z"),
        ("We'll post another update within the next hour.", "2025-07-16T20:00Z"),
        ("We will update this incident within 2 hours.", "2025-07-16T21:00Z"),
        ("We expect to provide another update in about 45 minutes.", "2025-07-16T19:45Z"),
        ("We will share more information in half an hour.", "2025-07-16T19:30Z"),
        ("We'll update again in an hour.", "2025-07-16T20:00Z"),
        ("Next update in thirty minutes.", "2025-07-16T19:30Z"),
        ("We will continue to provide updates every 30 minutes.", "2025-07-16T19:30Z"),
        ("We will post an update by 14:00.", None),  # no zone: no promise rather than a wrong one
        ("We will provide an update by 3 UTC.", None),  # too vague
        ("We will provide updates as soon as we can.", None),
        ("The outage lasted 30 minutes.", None),
    ],
)
def test_next_update_phrasings(text: str, expected: str | None) -> None:
    found = next_update_from_text(text, PUBLISHED)
    assert found == (datetime.fromisoformat(expected.replace("Z", "+00:00")) if expected else None)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20:15 UTC", "2025-07-16T20:15Z"),
        ("2:30 PM PT", "2025-07-16T21:30Z"),
        ("in 2 hours", "2025-07-16T21:00Z"),
        ("within 30 minutes", "2025-07-16T19:30Z"),
        ("2025-07-17 09:00 UTC", "2025-07-17T09:00Z"),
        ("2025-07-17T09:00:00+02:00", "2025-07-17T07:00Z"),
        ("  ", None),
    ],
)
def test_parse_promise_reads_what_staff_type(typed: str, expected: str | None) -> None:
    found = parse_promise(typed, PUBLISHED)
    assert found == (datetime.fromisoformat(expected.replace("Z", "+00:00")) if expected else None)


@pytest.mark.parametrize("typed", ["soon", "20:15", "2025-07-17 09:00", "tomorrow morning"])
def test_parse_promise_refuses_what_it_cannot_read(typed: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_promise(typed, PUBLISHED)
