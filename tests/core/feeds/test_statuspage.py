"""Statuspage v2 JSON against the real captures."""

from __future__ import annotations

import copy
import json
from datetime import UTC

import pytest

from bot.core.feeds import FeedError, parse_feed
from tests.helpers import NOW, fixture, utc

GITHUB = "statuspage_github_summary_2022-11-25_active-incident.json"
DISCORD_INCIDENTS = "discordstatus_incidents_2022-02-15.json"


def _json(name: str) -> dict:
    return json.loads(fixture(name))


def _parse(data: object):
    return parse_feed(json.dumps(data).encode(), now=NOW)


def test_github_summary_active_incident_with_seven_ordered_utc_updates() -> None:
    snap = parse_feed(fixture(GITHUB), now=NOW)
    assert snap.format == "statuspage"
    assert snap.source_title == "GitHub"
    (incident,) = snap.incidents
    assert incident.key == "statuspage:ljwdk6qml8z8"
    assert incident.title == "Incident with Packages and Pages"
    assert incident.state == "investigating"
    assert incident.impact == "major"  # the page indicator says minor: neither is derived from the other
    assert snap.page_status is not None and snap.page_status.indicator == "minor"
    assert incident.resolved_at is None
    assert incident.url == "https://stspg.io/33vh8r7z43kh"
    updates = incident.updates
    assert len(updates) == 7
    assert [u.key.split(":")[-1] for u in updates] == [
        "n1dr3fb22655", "y0x9rc7hvp1s", "5r7154l5bkg7", "3956pfljsss1", "8bccy289xckg", "8fnd7wsp5v36", "k0x2s8g2plxb",
    ]  # fmt: skip
    assert all(u.published_at.tzinfo is UTC for u in updates)
    assert [u.published_at for u in updates] == sorted(u.published_at for u in updates)
    assert updates[0].published_at == utc("2022-11-25T14:39:09.577+00:00")
    assert updates[-1].published_at == utc("2022-11-25T15:50:04.967+00:00")
    assert {u.state for u in updates} == {"investigating"}  # status lags prose; kept as given
    assert updates[0].body == "We are investigating reports of degraded performance for Packages."
    assert all(u.edited_at is None and u.impact == "major" for u in updates)
    assert len({u.content_hash for u in updates}) == 7


def test_discord_local_offsets_become_utc_instants() -> None:
    (incident,) = parse_feed(fixture(DISCORD_INCIDENTS), now=NOW).incidents
    assert incident.created_at == utc("2022-02-15T21:14:17.744+00:00")
    assert incident.resolved_at == utc("2022-02-15T21:37:37.388+00:00")
    assert incident.created_at.tzinfo is UTC
    assert [u.state for u in incident.updates] == ["investigating", "investigating", "monitoring", "resolved"]
    assert incident.updates[-1].published_at == utc("2022-02-15T21:37:37.388+00:00")
    assert incident.impact == "minor" and incident.state == "resolved"


def test_maintenances_parse_with_pdt_offset_and_overrun() -> None:
    snap = parse_feed(fixture("discordstatus_scheduled-maintenances_2022-02-15.json"), now=NOW)
    (maint,) = snap.incidents
    assert maint.kind == "maintenance"
    assert maint.title == "(ﾉ◕ヮ◕)ﾉ*:･ﾟ✧ Server Juice"
    assert [u.state for u in maint.updates] == ["scheduled", "in_progress", "verifying", "completed"]
    assert maint.scheduled_until == utc("2015-09-22T08:30:00+00:00")
    assert maint.resolved_at == utc("2015-09-22T09:25:20.034+00:00")  # -07:00 -> UTC, overran the window
    assert maint.resolved_at > maint.scheduled_until
    assert maint.updates[-1].body == "Everything seems to be working!\nSorry for the brief interruption."


@pytest.mark.parametrize(
    "name",
    ["discordstatus_incidents-unresolved_2022-02-15.json", "discordstatus_summary_2022-02-15.json"],
)
def test_empty_lists_are_the_healthy_state(name: str) -> None:
    snap = parse_feed(fixture(name), now=NOW)
    assert snap.format == "statuspage"
    assert snap.incidents == ()


def test_status_json_gives_page_status_only() -> None:
    snap = parse_feed(fixture("discordstatus_status_2022-02-15.json"), now=NOW)
    assert snap.incidents == ()
    assert snap.page_status is not None
    assert (snap.page_status.indicator, snap.page_status.description) == ("none", "All Systems Operational")


def test_update_edited_in_place_keeps_key_changes_hash() -> None:
    data = _json(GITHUB)
    edited = copy.deepcopy(data)
    update = edited["incidents"][0]["incident_updates"][2]
    update["body"] = "Pages is operating normally. Packages remains degraded."
    update["updated_at"] = "2022-11-25T16:02:00.000Z"
    before = {u.key: u for u in _parse(data).incidents[0].updates}
    after = {u.key: u for u in _parse(edited).incidents[0].updates}
    assert before.keys() == after.keys()
    changed = [k for k in before if before[k].content_hash != after[k].content_hash]
    assert changed == ["statuspage:ljwdk6qml8z8:8bccy289xckg"]
    assert after[changed[0]].edited_at == utc("2022-11-25T16:02:00+00:00")
    assert before[changed[0]].edited_at is None


def test_duplicate_update_ids_keep_the_newest_version() -> None:
    data = _json(GITHUB)
    updates = data["incidents"][0]["incident_updates"]
    newer = dict(updates[0], body="Edited text.", updated_at="2022-11-25T16:00:00Z")
    updates.append(newer)
    (incident,) = _parse(data).incidents
    assert len(incident.updates) == 7
    assert incident.updates[-1].body == "Edited text."


def test_body_entities_html_and_hints_are_normalised() -> None:
    data = _json(GITHUB)
    update = data["incidents"][0]["incident_updates"][0]
    update["body"] = (
        "Restores &amp; syncs are running.  \r\n<br>Contacts: 80% restored\r\n"
        "Photos: pending\r\nWe will provide another update by 17:30 UTC."
    )
    last = _parse(data).incidents[0].updates[-1]
    assert (
        last.body == "Restores & syncs are running.\n\nContacts: 80% restored\nPhotos: pending\n"
        "We will provide another update by 17:30 UTC."
    )
    assert {k: (v.state, v.percent) for k, v in last.progress.items()} == {
        "contacts": ("partial", 80),
        "photos": ("pending", None),
    }
    assert last.next_update_by == utc("2022-11-25T17:30:00+00:00")


def test_wrong_field_type_names_the_field() -> None:
    data = _json(GITHUB)
    data["incidents"][0]["incident_updates"][1]["id"] = 12
    with pytest.raises(FeedError) as err:
        _parse(data)
    assert err.value.reason == "schema"
    assert "incidents.0.incident_updates.1.id" in str(err.value)


def test_naive_timestamp_is_taken_as_utc_but_garbage_is_rejected() -> None:
    data = _json(DISCORD_INCIDENTS)
    data["incidents"][0]["created_at"] = "2022-02-15T21:14:17"
    assert _parse(data).incidents[0].created_at == utc("2022-02-15T21:14:17+00:00")
    data["incidents"][0]["created_at"] = "yesterday"
    with pytest.raises(FeedError, match=r"incidents\[0\]\.created_at: not an ISO 8601 timestamp"):
        _parse(data)
