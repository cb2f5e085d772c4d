"""Our recovery JSON: the shipped sample, strictness, duplicates, and a 100,000-device page."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from bot.core.feeds import FeedError, parse_feed
from tests.helpers import NOW, SAMPLE_RECOVERY, utc


def _sample() -> dict[str, Any]:
    return json.loads(SAMPLE_RECOVERY.read_bytes())


def _parse(data: object):
    return parse_feed(json.dumps(data).encode(), now=NOW)


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_sample_feed_parses_with_progress_and_devices() -> None:
    snap = parse_feed(SAMPLE_RECOVERY.read_bytes(), now=NOW)
    assert snap.format == "recovery"
    (incident,) = snap.incidents
    assert incident.key == "recovery:larkspur-cloud-sync-outage"
    assert (incident.state, incident.impact, incident.kind) == ("monitoring", "critical", "incident")
    assert [u.state for u in incident.updates] == [
        "investigating", "identified", "recovering", "recovering", "monitoring",
    ]  # fmt: skip
    first, third, last = incident.updates[0], incident.updates[2], incident.updates[-1]
    assert first.key == "recovery:larkspur-cloud-sync-outage:u1"
    assert first.next_update_by == utc("2009-10-03T00:00:00+00:00")
    assert third.edited_at == utc("2009-10-03T18:10:00+00:00")
    assert last.progress["contacts"].state == "restored" and last.progress["contacts"].percent == 100
    assert last.progress["photos"].percent == 55
    assert len(snap.device_states) == 10
    assert all(len(d.device_id) == 15 and _luhn_ok(d.device_id) for d in snap.device_states)
    assert [d.state for d in snap.device_states].count("restored") == 2
    lost = snap.device_states[-1]
    assert lost.state == "not_recoverable" and lost.note is not None and "reset" in lost.note
    assert snap.next_cursor == "2009-10-05T19:03:00Z/0010"


def test_progress_change_changes_hash_but_not_key() -> None:
    data = _sample()
    edited = copy.deepcopy(data)
    edited["incidents"][0]["updates"][3]["progress"]["contacts"]["percent"] = 81
    a = {u.key: u.content_hash for u in _parse(data).incidents[0].updates}
    b = {u.key: u.content_hash for u in _parse(edited).incidents[0].updates}
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == ["recovery:larkspur-cloud-sync-outage:u4"]


def test_duplicate_device_latest_wins() -> None:
    data = _sample()
    items = data["devices"]["items"]
    items.append(dict(items[0], state="partial", updated_at="2009-10-06T00:00:00Z"))
    items.append(dict(items[1], state="pending", updated_at="2009-10-01T00:00:00Z"))  # older: ignored
    states = {d.device_id: d.state for d in _parse(data).device_states}
    assert len(states) == 10
    assert states[items[0]["device_id"]] == "partial"
    assert states[items[1]["device_id"]] == "restored"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(version=2), "unsupported recovery feed version 2"),
        (lambda d: d["incidents"][0].update(state="fixed"), "incidents.0.state"),
        (lambda d: d["incidents"][0]["updates"][0]["progress"]["contacts"].update(percent=101), "percent"),
        (lambda d: d["incidents"][0].update(colour="red"), "incidents.0.colour"),
        (lambda d: d["incidents"][0]["updates"].append(d["incidents"][0]["updates"][0]), "duplicate update id"),
        (lambda d: d["devices"]["items"][4].update(state="done"), r"devices.items[4].state"),
        (lambda d: d["devices"]["items"][4].update(device_id="35 8912"), r"devices.items[4].device_id"),
        (lambda d: d["devices"]["items"][4].update(progress={"Contacts": {"state": "restored"}}), "data type"),
        (lambda d: d["devices"]["items"][4].update(updated_at="2009-10-05T12:00:00"), "no UTC offset"),
        (lambda d: d["devices"]["items"][4].pop("updated_at"), r"devices.items[4].updated_at"),
        (lambda d: d["devices"]["items"][4].update(secret=1), "unexpected field"),
        (lambda d: d["devices"].update(next_cursor=5), "devices.next_cursor"),
    ],
)
def test_invalid_payloads_name_the_problem(mutate: Any, expected: str) -> None:
    data = _sample()
    mutate(data)
    with pytest.raises(FeedError) as err:
        _parse(data)
    assert expected in str(err.value)
    assert err.value.reason in {"schema", "timestamp"}


def test_device_update_in_the_far_future_is_absurd() -> None:
    data = _sample()
    data["devices"]["items"][0]["updated_at"] = "2031-01-01T00:00:00Z"
    with pytest.raises(FeedError, match=r"devices.items\[0\].updated_at: absurd timestamp") as err:
        _parse(data)
    assert err.value.reason == "timestamp"


def _big_payload(count: int) -> bytes:
    items = []
    for i in range(count):
        item: dict[str, Any] = {"device_id": f"35891204{i:07d}", "state": "partial",
                                "updated_at": "2009-10-05T10:00:00Z"}  # fmt: skip
        if i % 2:
            item["progress"] = {"contacts": {"state": "restored", "percent": 100},
                                "photos": {"state": "in_progress", "percent": i % 100}}  # fmt: skip
        items.append(item)
    return json.dumps({"version": 1, "generated_at": "2009-10-05T16:00:00Z",
                       "devices": {"items": items, "next_cursor": "c-100000"}}).encode()  # fmt: skip


def test_hundred_thousand_devices_parse_fast() -> None:
    body = _big_payload(100_000)
    assert len(body) < 16 * 1024 * 1024
    start = time.perf_counter()
    snap = parse_feed(body, now=NOW)
    elapsed = time.perf_counter() - start
    assert len(snap.device_states) == 100_000
    assert snap.device_states[99_999].progress["photos"].percent == 99
    assert snap.next_cursor == "c-100000"
    assert elapsed < 5.0, f"100k devices took {elapsed:.2f}s"


def test_models_are_frozen_and_hashable() -> None:
    snap = parse_feed(SAMPLE_RECOVERY.read_bytes(), now=NOW)
    update = snap.incidents[0].updates[0]
    assert len(set(snap.incidents[0].updates)) == 5 and len(set(snap.device_states)) == 10
    assert hash(snap) == hash(parse_feed(SAMPLE_RECOVERY.read_bytes(), now=NOW))
    with pytest.raises(ValueError, match="frozen"):
        update.body = "changed"  # type: ignore[misc]
