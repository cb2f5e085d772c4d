"""Fetching the status feed over HTTP (against tests/fakes/feed_server.py) and from a local file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.core.feeds.fetch import FeedFetcher, Fetched, with_cursor
from bot.core.feeds.models import FeedError
from tests.fakes.feed_server import FeedResponse, FeedServer

BODY = b'{"version": 1, "incidents": []}'
LAST_MODIFIED = "Sat, 28 Nov 2026 12:00:00 GMT"

Make = Callable[..., FeedFetcher]


@pytest.fixture
async def make() -> AsyncIterator[Make]:
    """Fetchers with a short backoff, closed after the test."""
    made: list[FeedFetcher] = []

    def _make(url: str, **kw: object) -> FeedFetcher:
        kw.setdefault("backoff", 0.01)
        fetcher = FeedFetcher(url, **kw)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield _make
    for fetcher in made:
        await fetcher.close()


async def test_a_body_comes_with_its_type_and_validators(feed: FeedServer, make: Make) -> None:
    feed.current = FeedResponse(BODY, last_modified=LAST_MODIFIED)
    got = await make(feed.url).fetch()
    assert got.body == BODY
    assert (got.content_type or "").startswith("application/json")
    assert got.etag and got.etag.startswith('"')
    assert got.last_modified == LAST_MODIFIED
    assert got.url == feed.url
    assert feed.headers[0]["User-Agent"] == "supportbot/0.1"
    assert "If-None-Match" not in feed.headers[0] and "If-Modified-Since" not in feed.headers[0]


async def test_the_etag_is_sent_back_and_not_modified_has_no_body(feed: FeedServer, make: Make) -> None:
    feed.serve(BODY)
    fetcher = make(feed.url)
    first = await fetcher.fetch()
    again = await fetcher.fetch(etag=first.etag)
    assert feed.headers[1]["If-None-Match"] == first.etag
    assert again == Fetched(None, None, first.etag, None, feed.url)


async def test_last_modified_is_sent_back_and_not_modified_has_no_body(feed: FeedServer, make: Make) -> None:
    feed.current = FeedResponse(BODY, etag=False, last_modified=LAST_MODIFIED)
    fetcher = make(feed.url)
    first = await fetcher.fetch()
    assert first.etag is None
    again = await fetcher.fetch(last_modified=first.last_modified)
    assert feed.headers[1]["If-Modified-Since"] == LAST_MODIFIED
    assert again == Fetched(None, None, None, LAST_MODIFIED, feed.url)


async def test_a_changed_feed_is_fetched_in_full_despite_an_old_etag(feed: FeedServer, make: Make) -> None:
    feed.serve(BODY)
    fetcher = make(feed.url)
    first = await fetcher.fetch()
    feed.serve(BODY + b" ")
    again = await fetcher.fetch(etag=first.etag)
    assert again.body == BODY + b" " and again.etag != first.etag


async def test_the_cursor_goes_in_the_query(feed: FeedServer, make: Make) -> None:
    feed.serve(BODY)
    got = await make(feed.url).fetch(cursor="page 2&more")
    assert feed.requests[0]["since"] == "page 2&more"
    assert got.url == feed.url + "?since=page+2%26more"


def test_with_cursor_keeps_an_existing_query_and_adds_nothing_without_a_cursor() -> None:
    assert with_cursor("https://x.test/feed?fmt=json", "c1") == "https://x.test/feed?fmt=json&since=c1"
    assert with_cursor("https://x.test/feed", None) == "https://x.test/feed"
    assert with_cursor("https://x.test/feed", "") == "https://x.test/feed"


async def test_redirects_are_followed(feed: FeedServer, make: Make) -> None:
    feed.serve(BODY)
    moved = feed.url.replace("/feed", "/moved")
    got = await make(moved).fetch(cursor="c7")
    assert got.body == BODY
    assert len(feed.headers) == 2  # the redirect, then the feed
    assert feed.requests == [{"since": "c7", "if-none-match": "", "if-modified-since": ""}]


async def test_a_gzip_body_is_unpacked(feed: FeedServer, make: Make) -> None:
    feed.current = FeedResponse(BODY * 100, gzip=True)
    got = await make(feed.url).fetch()
    assert got.body == BODY * 100


async def test_a_body_declared_over_the_cap_is_refused(feed: FeedServer, make: Make) -> None:
    feed.serve(b"x" * 2000)
    with pytest.raises(FeedError, match="2,000 bytes is over the cap") as err:
        await make(feed.url, max_bytes=1000).fetch()
    assert err.value.reason == "too_large"
    assert len(feed.requests) == 1  # refused, not retried


async def test_a_body_growing_over_the_cap_while_read_is_refused(feed: FeedServer, make: Make) -> None:
    """A gzip bomb: small on the wire, so its Content-Length passes; the unpacked bytes are counted."""
    feed.current = FeedResponse(b"0" * 200_000, gzip=True)
    with pytest.raises(FeedError, match="body over 100,000 bytes") as err:
        await make(feed.url, max_bytes=100_000).fetch()
    assert err.value.reason == "too_large"


async def test_a_body_at_the_cap_is_accepted(feed: FeedServer, make: Make) -> None:
    feed.serve(b"x" * 1000)
    assert (await make(feed.url, max_bytes=1000).fetch()).body == b"x" * 1000


@pytest.mark.parametrize("status", [400, 403, 404, 410])
async def test_a_client_error_is_refused_at_once(feed: FeedServer, make: Make, status: int) -> None:
    feed.current = FeedResponse(status=status)
    with pytest.raises(FeedError, match=f"HTTP {status}") as err:
        await make(feed.url).fetch()
    assert err.value.reason == "http"
    assert len(feed.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_a_server_error_is_retried_then_reported(feed: FeedServer, make: Make, status: int) -> None:
    feed.current = FeedResponse(status=status)
    with pytest.raises(FeedError, match=f"HTTP {status} \\(after 3 attempts\\)") as err:
        await make(feed.url, attempts=3).fetch()
    assert err.value.reason == "unreachable"
    assert len(feed.requests) == 3


async def test_a_server_error_then_success_is_a_success(feed: FeedServer, make: Make) -> None:
    feed.script.extend([FeedResponse(status=503), FeedResponse(status=502), FeedResponse(BODY)])
    assert (await make(feed.url, attempts=3).fetch()).body == BODY
    assert len(feed.requests) == 3


async def test_a_slow_server_times_out_and_is_reported(feed: FeedServer, make: Make) -> None:
    feed.current = FeedResponse(BODY, delay=1.0)
    with pytest.raises(FeedError, match=r"ReadTimeout \(after 2 attempts\)") as err:
        await make(feed.url, timeout=0.2, attempts=2).fetch()
    assert err.value.reason == "unreachable"
    assert len(feed.requests) == 2


async def test_an_unreachable_server_is_reported(make: Make) -> None:
    with pytest.raises(FeedError, match=r"ConnectError \(after 2 attempts\)") as err:
        await make("http://127.0.0.1:9/feed", attempts=2).fetch()
    assert err.value.reason == "unreachable"


@pytest.mark.parametrize("prefix", ["", "file://"])
async def test_a_local_file_is_read(tmp_path: Path, make: Make, prefix: str) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(BODY)
    fetcher = make(prefix + str(path))
    assert not fetcher.is_http
    got = await fetcher.fetch(cursor="ignored", etag="ignored")
    assert got == Fetched(BODY, None, None, None, str(path))


async def test_a_local_file_over_the_cap_is_refused(tmp_path: Path, make: Make) -> None:
    path = tmp_path / "feed.json"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(FeedError, match="1,001 bytes is over the cap") as err:
        await make(str(path), max_bytes=1000).fetch()
    assert err.value.reason == "too_large"


@pytest.mark.parametrize("name", ["missing.json", ""], ids=["missing", "a-folder"])
async def test_an_unreadable_local_file_is_reported(tmp_path: Path, make: Make, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(FeedError, match="cannot be read") as err:
        await make(str(path)).fetch()
    assert err.value.reason == "unreachable"
    assert str(path) in str(err.value)
