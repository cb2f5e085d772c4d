"""bot/pacing/buckets.py: a bucket lets through what Discord's headers say it has left, no more, no less."""

from __future__ import annotations

from bot.pacing.buckets import Bucket, Buckets


def headers(limit: int, remaining: int, reset_after: float, bucket: str = "abc") -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def let_through(bucket: Bucket, now: float) -> int:
    """How many requests the bucket lets go at `now`, one after another, without any response."""
    n = 0
    while bucket.room(now) == 0:
        bucket.take()
        n += 1
    return n


def test_an_unknown_bucket_sends_one_request_to_learn_its_size() -> None:
    b = Bucket()
    assert let_through(b, 0.0) == 1
    assert b.room(0.0) is None  # wait for the probe's response, however long it takes


def test_a_known_bucket_sends_as_many_at_once_as_it_has_left() -> None:
    b = Bucket()
    let_through(b, 0.0)
    b.update(0.1, headers(5, 4, 4.9), 200)
    b.in_flight -= 1
    assert let_through(b, 0.1) == 4  # not one at a time
    wait = b.room(0.1)
    assert wait is not None
    assert 4.8 < wait < 5.0  # then it waits for the window's reset, which the headers told
    for left in (3, 2, 1, 0):
        b.update(0.2, headers(5, left, 4.8), 200)
        b.in_flight -= 1
    assert let_through(b, 5.1) == 5  # a fresh window


def test_an_older_response_with_a_larger_count_does_not_give_back_spent_requests() -> None:
    b = Bucket()
    let_through(b, 0.0)
    b.update(0.1, headers(5, 4, 4.9), 200)
    b.in_flight -= 1
    assert let_through(b, 0.1) == 4
    # responses come back out of order: the one the server answered first (3 left) arrives last
    b.update(0.2, headers(5, 0, 4.8), 200)
    b.in_flight -= 1
    b.update(0.21, headers(5, 3, 4.79), 200)
    b.in_flight -= 1
    assert b.room(0.21) != 0


def test_requests_still_in_flight_are_counted_against_what_a_response_says_is_left() -> None:
    b = Bucket()
    let_through(b, 0.0)
    b.update(0.1, headers(10, 9, 9.9), 200)
    b.in_flight -= 1
    assert let_through(b, 0.1) == 9
    # the first of the nine comes back saying 8 left, but 8 others are still on their way
    b.update(0.2, headers(10, 8, 9.8), 200)
    b.in_flight -= 1
    assert b.room(0.2) != 0


def test_a_429_empties_the_bucket_until_its_reset() -> None:
    b = Bucket()
    let_through(b, 0.0)
    b.update(0.1, headers(5, 4, 4.9), 200)
    b.in_flight -= 1
    b.take()
    b.update(0.2, headers(5, 0, 3.0), 429)  # someone else spent it
    b.in_flight -= 1
    assert b.room(0.2) != 0
    assert b.room(3.3) == 0


def test_routes_that_share_a_bucket_hash_share_one_budget_per_channel() -> None:
    buckets = Buckets()
    a = buckets.get("POST /channels/{channel_id}/threads", "7")
    buckets.learn("POST /channels/{channel_id}/threads", "7", a, "thread-hash")
    b = buckets.get("POST /channels/{channel_id}/messages/{message_id}/threads", "7")
    buckets.learn("POST /channels/{channel_id}/messages/{message_id}/threads", "7", b, "thread-hash")
    assert buckets.get("POST /channels/{channel_id}/messages/{message_id}/threads", "7") is a
    assert buckets.get("POST /channels/{channel_id}/threads", "8") is not a  # another channel

