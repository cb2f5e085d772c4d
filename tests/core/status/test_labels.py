from __future__ import annotations

from datetime import UTC, datetime

from bot.core.outbox.notices import Progress, StatusView
from bot.core.status.labels import (
    NO_NEWS_FOR_DEVICE,
    describe,
    device_headline,
    device_state_label,
    format_time,
    progress_item,
    progress_text,
    promises_next_update,
    state_label,
)


def view(**kw: object) -> StatusView:
    base: dict[str, object] = {"incident": "Sync outage", "state": "recovering", "body": "Contacts are back."}
    return StatusView.model_validate({**base, **kw})


def test_an_update_reads_as_title_state_body_progress_and_promise() -> None:
    text = describe(
        view(
            progress={"contacts": {"state": "restored"}, "call_log": {"state": "partial", "percent": 60}},
            next_update_by=datetime(2026, 11, 28, 15, tzinfo=UTC),
        )
    )
    assert text == (
        "Sync outage (Recovering): Contacts are back. Progress: Contacts: restored; Call log: partly restored (60%). "
        "Next update promised by 28 Nov 2026, 15:00 UTC."
    )


def test_a_resolved_update_promises_nothing_and_long_bodies_are_cut() -> None:
    text = describe(view(state="resolved", body="word " * 200, next_update_by=datetime(2026, 11, 28, tzinfo=UTC)))
    assert "Next update" not in text and "(Resolved)" in text and text.endswith("…")
    assert not promises_next_update("completed") and promises_next_update("monitoring")


def test_labels_for_every_state_and_an_unknown_one() -> None:
    assert state_label("identified") == "Cause identified" and state_label("surprise") == "Update"
    assert progress_item("photos", Progress(state="pending")) == ("Photos", "not started")
    assert progress_item("x", Progress(state="odd", percent=5)) == ("X", "odd (5%)")
    assert progress_text({}) == ""


def test_a_device_reads_by_state_with_only_its_last_characters() -> None:
    assert device_headline("imei", "****7518", "restored") == (
        "Good news: the data for your IMEI ****7518 has been restored."
    )
    assert "part of the data" in device_headline("imei", "****7518", "partial")
    assert "could not recover" in device_headline("serial", "****BCDE", "not_recoverable")
    assert device_state_label("pending", heard=False) == NO_NEWS_FOR_DEVICE
    assert device_state_label("pending", heard=True) == "not started"


def test_times_are_quoted_without_a_leading_zero() -> None:
    assert format_time(datetime(2026, 11, 5, 9, 0, tzinfo=UTC)) == "5 Nov 2026, 09:00 UTC"
