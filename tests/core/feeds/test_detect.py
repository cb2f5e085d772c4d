"""Format detection and failure modes: only FeedError, always with a readable one-line message."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.feeds import FeedError, detect_format, parse_feed
from tests.helpers import BEFORE_EDIT, DATA, FIXTURES, NOW, SAMPLE_RECOVERY, fixture

GITHUB = "statuspage_github_summary_2022-11-25_active-incident.json"
EXPECTED_FORMATS = {".json": "statuspage", ".atom": "atom"}


@pytest.mark.parametrize("path", sorted(p.name for p in FIXTURES.glob("*.*") if p.suffix in EXPECTED_FORMATS))
def test_every_fixture_parses_with_the_right_format(path: str) -> None:
    snap = parse_feed(fixture(path), now=NOW)
    assert snap.format == EXPECTED_FORMATS[Path(path).suffix]
    assert snap.fetched_at == NOW
    for incident in snap.incidents:
        assert incident.updates, incident.key
        assert all(u.incident_key == incident.key for u in incident.updates)


def test_fixture_directory_has_all_eight_captures() -> None:
    assert len([p for p in FIXTURES.glob("*.*") if p.suffix in EXPECTED_FORMATS]) == 8


@pytest.mark.parametrize(("fmt", "name"), [("statuspage", GITHUB), ("atom", BEFORE_EDIT)])
def test_explicit_format(fmt: str, name: str) -> None:
    assert parse_feed(fixture(name), fmt=fmt, now=NOW).format == fmt


def test_recovery_is_told_apart_from_statuspage() -> None:
    assert parse_feed(SAMPLE_RECOVERY.read_bytes(), now=NOW).format == "recovery"
    assert detect_format(b'  \n{"a": 1}') == "json"
    assert detect_format(b"\xef\xbb\xbf<?xml version='1.0'?><rss/>") == "xml"


def test_bom_and_leading_whitespace_are_fine() -> None:
    snap = parse_feed(b"\xef\xbb\xbf\n  " + fixture(GITHUB), content_type="application/json", now=NOW)
    assert len(snap.incidents) == 1


def _error(body: bytes, **kwargs: object) -> FeedError:
    with pytest.raises(FeedError) as err:
        parse_feed(body, now=NOW, **kwargs)  # type: ignore[arg-type]
    message = str(err.value)
    assert message and "\n" not in message and len(message) <= 400
    return err.value


@pytest.mark.parametrize(
    ("body", "reason", "words"),
    [
        (b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "html_page", "HTML page"),
        (b"\n<html>\n<head><title>Sign in</title></head></html>", "html_page", "HTML page"),
        (b"<?xml version='1.0'?>\n<!-- x -->\n<html xmlns='http://www.w3.org/1999/xhtml'></html>", "html_page", "HTML"),
        (b"", "empty", "empty body"),
        (b" \r\n\t ", "empty", "empty body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_feed", "neither JSON nor XML"),
        (gzip.compress(b"{}"), "not_a_feed", "gzip"),
        (b"[1, 2, 3]", "schema", "a JSON list"),
        (b'{"data": {"items": []}, "ok": true}', "schema", "top level: data, ok"),
        (b'{"page": "x", "incidents": []}', "schema", "Statuspage document has the wrong shape: page:"),
        (b'{"version": 1, "incidents": "none"}', "schema", "recovery feed has the wrong shape"),
        (b'{"a": "\xff\xfe"}', "encoding", "UTF-8"),
        (b'{"a": 1,, "b": 2}', "malformed", "invalid JSON"),
        (b'{"incidents": [{"id": "x", "na', "truncated", "ends early"),
        (b"[" * 100_000, "malformed", "nested too deeply"),
    ],
)
def test_bad_bodies(body: bytes, reason: str, words: str) -> None:
    err = _error(body)
    assert err.reason == reason
    assert words in str(err)


def test_truncated_json_from_a_real_capture() -> None:
    raw = fixture(GITHUB)
    err = _error(raw[: len(raw) * 2 // 3])
    assert err.reason == "truncated" and "truncated download" in str(err)


def test_html_fragment_served_as_text_html() -> None:
    err = _error(b"<div class='error'>Service temporarily unavailable</div>", content_type="text/html; charset=utf-8")
    assert err.reason == "html_page"
    # Some servers label real feeds text/html: the root element decides.
    snap = parse_feed((DATA / "plain.rss").read_bytes(), content_type="text/html", now=NOW)
    assert snap.format == "rss"


def test_over_the_size_cap_is_refused_before_parsing() -> None:
    err = _error(b"{" + b" " * (20 * 1024 * 1024))
    assert err.reason == "too_large" and "21.0 MB" in str(err)
    assert _error(fixture(GITHUB), max_bytes=1000).reason == "too_large"


def test_unknown_and_mismatched_formats() -> None:
    assert _error(fixture(GITHUB), fmt="xml").reason == "unknown_format"
    assert "expected an rss XML feed, got JSON" in str(_error(fixture(GITHUB), fmt="rss"))
    assert "expected a recovery JSON document, got XML" in str(_error(fixture(BEFORE_EDIT), fmt="recovery"))
    assert _error(fixture(GITHUB), fmt="recovery").reason == "schema"


@pytest.mark.parametrize(
    ("stamp", "words"),
    [("1999-12-31T23:59:59Z", "absurd timestamp 1999"), ("2025-07-19T12:00:00Z", "absurd timestamp 2025-07-19")],
)
def test_absurd_statuspage_timestamps(stamp: str, words: str) -> None:
    data = json.loads(fixture(GITHUB))
    data["incidents"][0]["incident_updates"][3]["created_at"] = stamp
    err = _error(json.dumps(data).encode())
    assert err.reason == "timestamp"
    assert words in str(err) and "incident_updates" in str(err)


def test_absurd_atom_timestamps() -> None:
    raw = fixture(BEFORE_EDIT).replace(b"<published>2025-07-08T16:44:07Z", b"<published>1970-01-01T00:00:00Z", 1)
    assert _error(raw).reason == "timestamp"
    # The same feed read on a clock set to 2024: every 2025 stamp is in the far future.
    with pytest.raises(FeedError, match="absurd timestamp"):
        parse_feed(fixture(BEFORE_EDIT), now=NOW.replace(year=2024))


def test_absurd_recovery_timestamp() -> None:
    data = json.loads(SAMPLE_RECOVERY.read_bytes())
    data["incidents"][0]["updates"][1]["published_at"] = "1987-01-01T00:00:00Z"
    err = _error(json.dumps(data).encode())
    assert err.reason == "timestamp" and "incidents[0].updates[1].published_at" in str(err)


def test_non_bytes_body() -> None:
    assert _error("{}").reason == "not_a_feed"  # type: ignore[arg-type]


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_feed_errors(body: bytes, fmt: str = "auto") -> None:
    try:
        parse_feed(body, fmt=fmt, now=NOW)
    except FeedError as err:
        assert err.reason != "internal", str(err)  # a FeedError from the catch-all means a parser bug
        assert str(err) and "\n" not in str(err)


@_SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_only_raise_feed_error(body: bytes) -> None:
    _only_feed_errors(body)


@_SETTINGS
@given(st.sampled_from([b"{", b"<", b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>", b"["]),
       st.binary(max_size=500))  # fmt: skip
def test_random_bytes_behind_a_plausible_start(prefix: bytes, rest: bytes) -> None:
    _only_feed_errors(prefix + rest)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
_feed_keys = st.sampled_from(
    ["page", "incidents", "incident_updates", "status", "scheduled_maintenances", "version", "devices", "items",
     "generated_at", "id", "name", "created_at", "updated_at", "state", "body", "published_at", "device_id"]
)  # fmt: skip
_feedish = st.recursive(
    _json_values,
    lambda children: st.dictionaries(_feed_keys, children, max_size=6) | st.lists(children, max_size=3),
    max_leaves=40,
)


@_SETTINGS
@given(_feedish, st.sampled_from(["auto", "statuspage", "recovery"]))
def test_random_json_only_raises_feed_error(value: object, fmt: str) -> None:
    _only_feed_errors(json.dumps(value).encode(), fmt)


@_SETTINGS
@given(st.dictionaries(_feed_keys, _feedish, max_size=5))
def test_random_json_inside_a_statuspage_envelope(extra: dict[str, object]) -> None:
    doc: dict[str, object] = {"page": {"id": "p"}, "incidents": [], **extra}
    doc["page"] = {"id": "p"}
    _only_feed_errors(json.dumps(doc).encode())
