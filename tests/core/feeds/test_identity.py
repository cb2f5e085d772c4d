"""One identity per incident and update, whatever the format; honest times; skipped bad items."""

from __future__ import annotations

import email.utils
import json
import logging
from datetime import UTC, datetime, timedelta
from html import escape

import pytest

from bot.core.feeds import FeedError, parse_feed
from bot.core.feeds.time import zone_offset
from tests.helpers import fixture, history_rss_from_json, utc

CORPUS_NOW = datetime(2026, 11, 29, tzinfo=UTC)
DISCORD = "discordstatus_incidents_2022-02-15.json"
PARSE = "parse_history_2014-01-09.rss"


def test_json_and_rss_of_the_same_page_give_the_same_keys() -> None:
    data = json.loads(fixture(DISCORD))
    from_json = parse_feed(fixture(DISCORD), now=CORPUS_NOW)
    from_rss = parse_feed(history_rss_from_json(data), now=CORPUS_NOW)
    assert (from_json.format, from_rss.format) == ("statuspage", "rss")
    assert [i.key for i in from_json.incidents] == [i.key for i in from_rss.incidents] == ["incident:n4njzfn1mqy0"]
    json_keys = [u.key for u in from_json.incidents[0].updates]
    assert json_keys == [u.key for u in from_rss.incidents[0].updates]
    assert all("statuspage" not in k and "rss" not in k and "discordstatus" not in k for k in json_keys)
    assert from_json.incidents[0].state == from_rss.incidents[0].state == "resolved"


def test_a_label_that_contradicts_the_items_own_offset_loses() -> None:
    # The same history, every stamp printed in PDT local time but labelled PST (as old pages did).
    data = json.loads(fixture(DISCORD))
    for incident in data["incidents"]:
        incident["updated_at"] = incident["updated_at"].replace("-08:00", "-07:00")
    summer = parse_feed(history_rss_from_json(data, label="PST", hours=-7), now=CORPUS_NOW)
    truth = parse_feed(fixture(DISCORD), now=CORPUS_NOW)
    assert [u.key for u in summer.incidents[0].updates] == [u.key for u in truth.incidents[0].updates]


def test_parse_feed_times_match_each_items_own_offset() -> None:
    """status.parse.com labels every stamp PST; from March to November the pubDate says -0700."""
    raw = fixture(PARSE).decode()
    snap = parse_feed(fixture(PARSE), now=CORPUS_NOW)
    assert len(snap.incidents) == 17 and sum(len(i.updates) for i in snap.incidents) == 38
    summer = 0
    for item in raw.split("<item>")[1:]:
        link = item.split("<link>")[1].split("</link>")[0]
        published = email.utils.parsedate_to_datetime(item.split("<pubDate>")[1].split("</pubDate>")[0])
        incident = next(i for i in snap.incidents if i.url == link)
        # the resolving update is the one the pubDate was written for (to the minute)
        assert incident.resolved_at == published.astimezone(UTC).replace(second=0), link
        summer += published.utcoffset() == timedelta(hours=-7)
    assert summer == 11  # trusting the label would have put these items' updates an hour late


def test_resolved_at_is_the_resolution_not_the_postmortem() -> None:
    snap = parse_feed(fixture(PARSE), now=CORPUS_NOW)
    incident = next(i for i in snap.incidents if i.key == "incident:p9hy357zjvb3")
    assert [u.state for u in incident.updates] == ["investigating", "resolved", "postmortem"]
    assert incident.state == "postmortem"
    assert incident.resolved_at == utc("2013-12-24T19:21:00+00:00")  # Dec 24, 11:21 PST
    assert incident.updates[-1].published_at == utc("2013-12-26T18:22:00+00:00")


def _two_in_one_minute(resolved_first_in_source: bool) -> bytes:
    paragraphs = [
        "<p><small>Jul 7, 22:34 UTC</small><br><strong>Investigating</strong> - We are looking into it.</p>",
        "<p><small>Jul 7, 22:34 UTC</small><br><strong>Resolved</strong> - The issues have been resolved.</p>",
    ]
    if resolved_first_in_source:
        paragraphs.reverse()
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>X</title>'
        "<entry><id>tag:x,2005:Incident/9</id><published>2025-07-07T22:00:00Z</published>"
        "<updated>2025-07-07T22:34:40Z</updated><title>Sync outage</title>"
        '<link href="https://status.example/incidents/abcd1234"/>'
        f"<content type='html'>{escape(''.join(paragraphs))}</content></entry></feed>"
    ).encode()


@pytest.mark.parametrize("resolved_first_in_source", [True, False])
def test_an_update_and_its_resolved_in_the_same_minute_end_resolved(resolved_first_in_source: bool) -> None:
    (incident,) = parse_feed(_two_in_one_minute(resolved_first_in_source), now=CORPUS_NOW).incidents
    assert incident.state == "resolved"
    assert incident.updates[-1].state == "resolved"
    assert incident.updates[-1].body == "The issues have been resolved."


def test_json_ties_on_time_end_on_the_furthest_state() -> None:
    data = json.loads(fixture(DISCORD))
    updates = data["incidents"][0]["incident_updates"]  # newest first: resolved, monitoring, ...
    updates[0]["display_at"] = updates[1]["display_at"]  # resolved shown in the same minute as monitoring
    updates[0], updates[1] = updates[1], updates[0]  # and listed below it
    (incident,) = parse_feed(json.dumps(data).encode(), now=CORPUS_NOW).incidents
    assert [u.state for u in incident.updates][-2:] == ["monitoring", "resolved"]


def test_zone_offset_rules(caplog: pytest.LogCaptureFixture) -> None:
    july = datetime(2025, 7, 16, tzinfo=UTC)
    assert zone_offset("PST", july, timedelta(hours=-7)) == timedelta(hours=-7)  # label contradicts: offset wins
    assert zone_offset("PST", july) == timedelta(hours=-8)  # nothing else to go by
    assert zone_offset("UTC", july, timedelta(hours=-7)) == timedelta(0)  # another region: the label stands
    assert zone_offset("CET", july, timedelta(hours=2)) == timedelta(hours=2)
    assert zone_offset("GMT+0", july, timedelta(hours=1)) == timedelta(0)  # numeric labels are offsets
    assert zone_offset("PT", july) == timedelta(hours=-7)  # generic: the region's rule at that date
    assert zone_offset("ET", datetime(2025, 1, 16, tzinfo=UTC)) == timedelta(hours=-5)
    with caplog.at_level(logging.WARNING, logger="bot.core.feeds.time"):
        assert zone_offset("XYZT", july, timedelta(hours=3), "rss entry 4") == timedelta(hours=3)
        assert zone_offset("QQQ", july) == timedelta(0)
    assert [r.getMessage() for r in caplog.records] == [
        "rss entry 4: unknown time-zone label 'XYZT'; using UTC+03:00",
        "feed: unknown time-zone label 'QQQ'; using UTC+00:00",
    ]


def test_format_setting_refuses_the_other_syndication_format() -> None:
    with pytest.raises(FeedError) as err:
        parse_feed(fixture(PARSE), fmt="atom", now=CORPUS_NOW)
    assert err.value.reason == "schema"
    assert "STATUS_FEED_FORMAT is atom, but the feed is an RSS feed" in str(err.value)
    with pytest.raises(FeedError, match="STATUS_FEED_FORMAT is rss, but the feed is an Atom feed"):
        parse_feed(fixture("redis_history_2021-12-26.atom"), fmt="rss", now=CORPUS_NOW)
    assert parse_feed(fixture(PARSE), fmt="rss", now=CORPUS_NOW).format == "rss"


def test_one_poisoned_entry_delays_nothing() -> None:
    raw = fixture(PARSE).replace(b"Wed, 01 Jan 2014 09:09:00 -0800", b"Wed, 01 Jan 2099 09:09:00 -0800")
    snap = parse_feed(raw, now=CORPUS_NOW)
    assert len(snap.incidents) == 16  # the other sixteen go on
    (skipped,) = snap.skipped
    assert skipped.reason == "timestamp" and "lzf7mjchpy20" in skipped.where and "2099" in skipped.message
