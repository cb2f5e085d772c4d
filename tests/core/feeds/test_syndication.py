"""RSS/Atom: the GitHub history before/after-edit pair, year inference, plain RSS items."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.feeds import FeedError, FeedSnapshot, FeedUpdate, parse_feed
from tests.helpers import AFTER_EDIT, BEFORE_EDIT, DATA, EDITED_ENTRY, NOW, fixture, utc


def _updates(snap: FeedSnapshot) -> dict[str, FeedUpdate]:
    return {u.key: u for i in snap.incidents for u in i.updates}


def _atom(published: str, paragraphs: list[tuple[str, str, str]], updated: str | None = None) -> bytes:
    """A one-entry Statuspage-style Atom feed; paragraphs are (stamp, label, text), newest first."""
    html = "".join(
        f"<p><small>{stamp.split(',')[0].rsplit(' ', 1)[0]} <var data-var='date'>"
        f"{stamp.split(',')[0].rsplit(' ', 1)[1]}</var>, <var data-var='time'>{stamp.split(', ')[1].split(' ')[0]}"
        f"</var> {stamp.split(' ')[-1]}</small><br><strong>{label}</strong> - {text}</p>"
        for stamp, label, text in paragraphs
    )
    escaped = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:x,2005:/history</id><title>X</title>
<updated>{updated or published}</updated>
<entry><id>tag:x,2005:Incident/1</id><published>{published}</published><updated>{updated or published}</updated>
<link rel="alternate" type="text/html" href="https://status.example/incidents/1"/><title>Sync outage</title>
<content type="html">{escaped}</content></entry></feed>""".encode()


def test_github_atom_splits_entries_into_updates() -> None:
    snap = parse_feed(fixture(BEFORE_EDIT), now=NOW)
    assert snap.format == "atom"
    assert len(snap.incidents) == 25
    updates = _updates(snap)
    assert len(updates) == 128  # one per stamped paragraph, duplicates (same minute + label) included
    assert all(u.published_at.tzinfo is UTC and u.published_at.year == 2025 for u in updates.values())
    for incident in snap.incidents:
        stamps = [u.published_at for u in incident.updates]
        assert stamps == sorted(stamps)
        assert incident.state == "resolved" and incident.resolved_at == incident.updates[-1].published_at
    # 23 incidents told as a story start with "Investigating"; 2 were posted once, already resolved
    first = [(len(i.updates) > 1, i.updates[0].state) for i in snap.incidents]
    assert sorted(set(first)) == [(False, "resolved"), (True, "investigating")]
    assert first.count((True, "investigating")) == 23
    for update in updates.values():
        assert "&amp;" not in update.body and "&lt;" not in update.body
        assert "<" not in update.body and ">" not in update.body


def test_atom_update_states_and_stamps_of_one_entry() -> None:
    snap = parse_feed(fixture(BEFORE_EDIT), now=NOW)
    incident = next(i for i in snap.incidents if i.key == f"atom:{EDITED_ENTRY}")
    assert [(u.published_at, u.state) for u in incident.updates] == [
        (utc("2025-07-07T22:29:00+00:00"), "investigating"),
        (utc("2025-07-07T22:31:00+00:00"), "investigating"),  # "Update" keeps the previous state
        (utc("2025-07-07T22:34:00+00:00"), "resolved"),
    ]
    assert incident.updates[-1].key == f"atom:{EDITED_ENTRY}:2025-07-07T22:34Z:resolved"
    assert incident.url == "https://www.githubstatus.com/incidents/f9rjhk3zh62b"
    assert incident.title == "Disruption with some GitHub services"


def test_duplicate_stamp_and_label_get_distinct_keys() -> None:
    snap = parse_feed(fixture(BEFORE_EDIT), now=NOW)
    incident = next(i for i in snap.incidents if i.key.endswith("Incident/25514408"))
    keys = [u.key for u in incident.updates]
    assert len(keys) == len(set(keys)) == 23
    assert f"{incident.key}:2025-06-17T20:04Z:update:2" in keys


def test_edit_in_place_keeps_keys_and_changes_exactly_one_hash() -> None:
    before = _updates(parse_feed(fixture(BEFORE_EDIT), now=NOW))
    after = _updates(parse_feed(fixture(AFTER_EDIT), now=NOW))
    assert before.keys() == after.keys()
    changed = [k for k in before if before[k].content_hash != after[k].content_hash]
    assert changed == [f"atom:{EDITED_ENTRY}:2025-07-07T22:34Z:resolved"]
    old, new = before[changed[0]], after[changed[0]]
    assert old.published_at == new.published_at
    assert old.body.startswith("This incident has been resolved.")
    assert "feature flag" in new.body and "\n\nThe incident was mitigated" in new.body
    snap = parse_feed(fixture(AFTER_EDIT), now=NOW)
    incident = next(i for i in snap.incidents if i.key == f"atom:{EDITED_ENTRY}")
    assert incident.updated_at == utc("2025-07-14T20:45:06+00:00")


def test_nested_paragraphs_stay_in_their_update_and_promises_are_read() -> None:
    snap = parse_feed(fixture(BEFORE_EDIT), now=NOW)
    incident = next(i for i in snap.incidents if i.key.endswith("Incident/25456062"))
    resolved = incident.updates[-1]
    assert resolved.state == "resolved"
    assert resolved.body.count("\n\n") == 2 and resolved.body.endswith("in the future.")
    promised = [u for u in incident.updates if u.next_update_by is not None]
    assert [(u.published_at, u.next_update_by) for u in promised] == [
        (utc("2025-06-12T19:14:00+00:00"), utc("2025-06-12T20:15:00+00:00"))
    ]


def test_year_is_inferred_across_new_year_from_published() -> None:
    # Resolved just after midnight on Jan 1: the Dec 31 stamps belong to the previous year.
    body = _atom(
        "2025-01-01T00:20:11Z",
        [("Jan 1, 00:20 UTC", "Resolved", "Fixed."), ("Dec 31, 23:50 UTC", "Investigating", "Looking.")],
    )
    (incident,) = parse_feed(body, now=NOW).incidents
    assert [u.published_at for u in incident.updates] == [
        datetime(2024, 12, 31, 23, 50, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 20, tzinfo=UTC),
    ]
    # Published (created) on Dec 31 but updated on Jan 1: the Jan stamp is the next year.
    body = _atom(
        "2024-12-31T23:58:00Z",
        [("Jan 1, 00:30 UTC", "Monitoring", "Better."), ("Dec 31, 23:58 UTC", "Investigating", "Looking.")],
    )
    (incident,) = parse_feed(body, now=NOW).incidents
    assert incident.updates[-1].published_at == datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
    assert incident.state == "monitoring" and incident.resolved_at is None


def test_leap_day_and_local_time_zone_stamps() -> None:
    body = _atom("2024-03-01T01:00:00Z", [("Feb 29, 17:05 PST", "Resolved", "Done.")])
    (incident,) = parse_feed(body, now=NOW).incidents
    assert incident.updates[0].published_at == datetime(2024, 3, 1, 1, 5, tzinfo=UTC)


def test_maintenance_labels_mark_a_maintenance() -> None:
    body = _atom(
        "2025-03-02T10:00:00Z",
        [
            ("Mar 2, 10:00 UTC", "Completed", "Done."),
            ("Mar 2, 09:00 UTC", "In progress", "Started."),
            ("Feb 27, 12:00 UTC", "Scheduled", "Planned."),
        ],
    )
    (incident,) = parse_feed(body, now=NOW).incidents
    assert [u.state for u in incident.updates] == ["scheduled", "in_progress", "completed"]
    assert incident.kind == "maintenance" and incident.impact == "maintenance"


def test_plain_rss_items_are_single_updates() -> None:
    snap = parse_feed((DATA / "plain.rss").read_bytes(), content_type="application/rss+xml", now=NOW)
    assert snap.format == "rss"
    assert snap.source_title == "Halcyon Mobile service notices"
    assert [i.key for i in snap.incidents] == [
        "rss:https://status.halcyon-mobile.example/notices/1",  # no guid: the link is the id
        "rss:notice-2",
        "rss:notice-3",
    ]
    first, second, third = (i.updates[0] for i in snap.incidents)
    assert first.key == first.incident_key == "rss:https://status.halcyon-mobile.example/notices/1"
    assert first.published_at == utc("2009-10-02T17:40:00+00:00")
    assert first.state == "investigating"
    assert second.incident_title == "Contacts & calendars restore under way"
    assert (
        second.body == "Contact restores are well under way & calendar restores have started. "
        "Keep your device powered on."
    )
    assert second.state == "unknown"
    assert third.state == "monitoring"
    assert third.published_at == utc("2009-10-05T16:20:00+00:00")
    assert {k: (v.state, v.percent) for k, v in third.progress.items()} == {
        "contacts": ("restored", 100),
        "photos": ("partial", 55),
    }
    assert third.next_update_by == utc("2009-10-05T20:20:00+00:00")


def test_truncated_atom_is_an_error_not_a_silent_edit() -> None:
    raw = fixture(BEFORE_EDIT)
    with pytest.raises(FeedError) as err:
        parse_feed(raw[: len(raw) // 2], now=NOW)
    assert err.value.reason == "malformed"
    assert "malformed or truncated" in str(err.value)


def test_xml_that_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="neither RSS nor Atom"):
        parse_feed(b"<?xml version='1.0'?><config><a>1</a></config>", now=NOW)
