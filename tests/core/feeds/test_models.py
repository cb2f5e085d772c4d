"""The feed-neutral models: state and impact normalisation, one-line errors, aware UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from bot.core.feeds.models import (
    DataProgress,
    FeedError,
    FeedSnapshot,
    norm_impact,
    norm_state,
    validation_message,
)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("investigating", "investigating"),
        ("In Progress", "in_progress"),
        ("in-progress", "in_progress"),
        ("Post-Mortem", "postmortem"),
        ("closed", "resolved"),
        ("complete", "completed"),
        ("RESTORING", "recovering"),
        ("weird", "unknown"),
        (None, "unknown"),
        (3, "unknown"),
    ],
)
def test_norm_state(raw: object, state: str) -> None:
    assert norm_state(raw) == state


def test_norm_impact() -> None:
    assert norm_impact(" MAJOR ") == "major"
    assert norm_impact("scheduled") == "maintenance"
    assert norm_impact("apocalyptic") == "unknown"
    assert norm_impact(None) == "unknown"


def test_feed_error_is_one_short_line() -> None:
    err = FeedError("first line\n   second\tline", "schema")
    assert str(err) == "first line second line"
    assert err.reason == "schema"
    assert len(str(FeedError("x" * 1000))) == 400
    assert FeedError("x").reason == "malformed"


def test_times_become_utc_and_must_be_aware() -> None:
    local = datetime(2025, 7, 16, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    snap = FeedSnapshot(format="rss", fetched_at=local)
    assert snap.fetched_at == datetime(2025, 7, 16, 12, 0, tzinfo=UTC)
    assert snap.fetched_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        FeedSnapshot(format="rss", fetched_at=datetime(2025, 7, 16, 12, 0))


def test_validation_message_names_the_first_field() -> None:
    with pytest.raises(ValidationError) as info:
        DataProgress.model_validate({"state": "bogus", "percent": 101})
    message = validation_message("recovery", info.value)
    assert message.startswith("recovery: state: Input should be ")
    assert message.endswith("(+1 more)")
