from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.db import Database
from bot.core.outbox.wakeup import Wakeup
from tests.fakes.feed_server import FeedResponse, FeedServer
from tests.helpers import Clock, fixture, outbox_rows, recovery_feed, status_service, upd

GITHUB_SUMMARY = fixture("statuspage_github_summary_2022-11-25_active-incident.json")


async def test_polling_uses_etags_and_the_device_cursor(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-1"))
    svc = status_service(db, feed.url)
    assert (await svc.poll()).new == 1
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-2"))
    await svc.poll()
    assert feed.requests[1]["since"] == "cur-1"
    assert feed.requests[0]["if-none-match"] == ""


async def test_not_modified_is_a_good_poll(db: Database, feed: FeedServer) -> None:
    feed.serve(GITHUB_SUMMARY)
    svc = status_service(db, feed.url, clock=Clock(datetime(2022, 11, 25, 23, tzinfo=UTC)))
    assert (await svc.poll()).ok
    r = await svc.poll()
    assert r.ok and r.not_modified
    assert feed.requests[1]["if-none-match"].startswith('"')


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (FeedResponse(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", content_type="text/html"), "HTML"),
        (FeedResponse(b'{"version": 1, "generated_at": "2026-11-28T1'), "truncated"),
        (FeedResponse(b'{"page": {"id": "x"}, "hello": "world"}'), "schema"),
        (FeedResponse(b"x" * (20 << 20)), "too large"),
        (FeedResponse(status=404), "404"),
        (FeedResponse(status=503), "503"),
        (FeedResponse(b"{}", delay=2.0), "Timeout"),
    ],
    ids=["html", "truncated", "schema", "20MB", "404", "503", "slow"],
)
async def test_a_bad_feed_is_a_failed_poll_never_a_crash_or_a_post(
    db: Database, feed: FeedServer, bad: FeedResponse, reason: str
) -> None:
    feed.current = bad
    svc = status_service(db, feed.url, timeout=0.5)
    r = await svc.poll()
    assert not r.ok and r.error
    assert await outbox_rows(db) == []
    health = await svc.health()
    assert health.failures == 1 and health.last_error


async def test_absurd_timestamps_are_refused(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "x") | {"published_at": "2099-01-01T00:00:00Z"}]))
    r = await status_service(db, feed.url).poll()
    assert not r.ok and "timestamp" in (r.error or "")


async def test_the_same_bytes_again_are_not_parsed_again(db: Database, feed: FeedServer) -> None:
    body = recovery_feed([upd("a", 8, "One.")])
    feed.current = FeedResponse(body, etag=False)  # a server without ETags, like a plain file
    svc = status_service(db, feed.url)
    assert (await svc.poll()).new == 1
    again = await svc.poll()
    assert again.ok and again.not_modified
    feed.current = FeedResponse(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")]), etag=False)
    assert (await svc.poll()).new == 1


async def test_a_poll_that_queues_wakes_the_worker_and_one_that_does_not_leaves_it(
    db: Database, feed: FeedServer
) -> None:
    wakeup = Wakeup()
    feed.serve(recovery_feed([upd("a", 8, "One.")]))
    svc = status_service(db, feed.url, wakeup=wakeup)
    r = await svc.poll()
    assert r.notices == 1 and wakeup.is_set()
    wakeup.clear()
    assert (await svc.poll()).not_modified and not wakeup.is_set()


async def test_without_a_feed_a_poll_says_so(db: Database) -> None:
    r = await status_service(db).poll()
    assert not r.ok and r.error == "no status feed configured"


async def test_a_request_with_a_cursor_is_never_conditional(db: Database, feed: FeedServer) -> None:
    """An answer to ?since= depends on the cursor: validators of another answer must not turn it into a 304."""
    stamp = "Sat, 28 Nov 2026 12:00:00 GMT"
    feed.current = FeedResponse(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-1"), last_modified=stamp)
    svc = status_service(db, feed.url)
    await svc.poll()
    feed.current = FeedResponse(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-2"), last_modified=stamp)
    await svc.poll()
    assert feed.requests[1] == {"since": "cur-1", "if-none-match": "", "if-modified-since": ""}


async def test_a_feed_without_a_cursor_keeps_the_one_it_had(db: Database, feed: FeedServer) -> None:
    feed.serve(recovery_feed([upd("a", 8, "One.")], [], cursor="cur-1"))
    svc = status_service(db, feed.url)
    await svc.poll()
    feed.serve(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two.")], [], cursor=None))
    await svc.poll()
    feed.serve(recovery_feed([upd("a", 8, "One."), upd("b", 9, "Two."), upd("c", 10, "Three.")], [], cursor=None))
    await svc.poll()
    assert [r["since"] for r in feed.requests] == ["", "cur-1", "cur-1"]
