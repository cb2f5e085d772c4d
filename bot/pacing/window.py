"""Discord's global limit (50 requests per second per bot), respected up front and counted from send times.

discord.py learns the global limit only from 429 responses, and a burst of waiting requests then retries
together and can exhaust its 5 tries (the message is lost) while every 429 counts towards Discord's
invalid-request ban. Interaction responses and webhooks are exempt, as on Discord.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.pacing.gate import Gate


@dataclass
class Ticket:
    """One request's place in the global window: granted now, sent when its headers leave."""

    granted_at: float
    sent_at: float | None = None
    sent_wall: float = 0.0  # the same moment on the wall clock, to compare with the server's
    sends: int = 0  # discord.py retries a 429 inside one call: each try reaches the server


@dataclass
class PacerStats:
    granted: int = 0
    waited: int = 0  # requests that had to wait for the global window
    wait_seconds: float = 0.0
    global_429s: int = 0
    bucket_429s: int = 0
    recent_waits: deque[float] = field(default_factory=lambda: deque(maxlen=64))


class GlobalPacer:
    """At most `limit` requests reach the server in any `window` seconds, whatever the round trip.

    A request occupies a slot from the moment it is let through: until it is known to have left (its
    headers were written), the slot has no end; once it left, the slot ends `window + margin` after that
    send time. Responses play no part, so a long round trip costs nothing: the next window's requests go
    as soon as the first window's sends are a window old, not a window after their responses.

    `margin` covers requests not arriving at the server in the order and spacing they were sent (the way
    there varies, and a busy loop writes late): it is the recent spread of the one-way delay, at least
    `min_margin`, plus a share for every global 429 seen lately (which decays while none come). The
    one-way delay is read from the responses: Discord's `X-RateLimit-Reset` minus `-Reset-After` is the
    moment the server counted the request, on its clock; an unknown but constant offset between the two
    clocks does not change the spread. Without those headers, the spread of round trips stands in (it
    also counts delays on the way back, so it is larger than needed).
    """

    def __init__(self, limit: int = 50, window: float = 1.0, *, min_margin: float = 0.005,
                 max_margin: float = 0.25, clock: Callable[[], float] | None = None) -> None:
        self.limit = limit
        self.window = window
        self.min_margin = min_margin
        self.max_margin = max_margin
        self.stats = PacerStats()
        self._sent: list[float] = []  # send times of the last window + margin, sorted
        self._unsent = 0  # let through, not yet known to have left
        self._round_trips: deque[float] = deque(maxlen=64)
        self._one_way: deque[float] = deque(maxlen=64)  # server's clock at arrival - our wall clock at send
        self._penalty = 0.0
        self._quiet_sends = 0
        self._gate = Gate()
        self._clock = clock  # the running loop's clock unless given (tests)

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    # -- what the surge policy and the benchmarks read -------------------------------------------------
    @property
    def waiting(self) -> int:
        """Requests queued for the global window right now."""
        return self._gate.waiting

    @property
    def margin(self) -> float:
        trips = self._one_way if len(self._one_way) >= 8 else self._round_trips
        spread = max(trips) - min(trips) if trips else 0.0
        return min(self.max_margin, max(self.min_margin, spread) + self._penalty)

    # -- the slot ---------------------------------------------------------------------------------------
    def _room(self, now: float) -> float | None:
        horizon = self.window + self.margin
        cut = bisect.bisect_right(self._sent, now - horizon)
        if cut:
            del self._sent[:cut]
        if self._unsent + len(self._sent) < self.limit:
            return 0
        # the oldest send frees a slot when it is a window old; an unsent request only once it leaves
        return horizon - (now - self._sent[0]) + 1e-6 if self._sent else None

    def _take(self) -> None:
        self._unsent += 1

    async def acquire(self) -> Ticket:
        started = self.now()
        waited = await self._gate.turn(self._room, self._take, self.now)
        now = self.now()
        self.stats.granted += 1
        if waited:
            self.stats.waited += 1
            self.stats.wait_seconds += now - started
        self.stats.recent_waits.append(now - started)
        return Ticket(granted_at=now)

    def sent(self, ticket: Ticket) -> None:
        """The request's headers have just been written (called once per try)."""
        now = self.now()
        ticket.sends += 1
        if ticket.sent_at is None:
            self._unsent -= 1
        # (a retry after a 429 is one more request the server counts, without a slot of its own)
        ticket.sent_at = now
        ticket.sent_wall = time.time()
        bisect.insort(self._sent, now)
        self._quiet_sends += 1
        if self._quiet_sends >= 2 * self.limit:  # a quiet stretch: forget half of the 429 penalty
            self._penalty /= 2
            self._quiet_sends = 0
        self._notify()

    def answered(self, ticket: Ticket, *, global_429: bool = False, server_time: float | None = None) -> None:
        """A response to the request's latest try arrived; `server_time`: when the server counted it (its
        wall clock, if the response says)."""
        now = self.now()
        if ticket.sent_at is not None:
            self._round_trips.append(now - ticket.sent_at)
            if server_time is not None and ticket.sent_wall:
                self._one_way.append(server_time - ticket.sent_wall)
        if global_429:
            self.stats.global_429s += 1
            self._penalty = min(self.max_margin, self._penalty + 0.02)
            self._quiet_sends = 0

    def release(self, ticket: Ticket) -> None:
        """The call is over. A request never seen leaving counts from when it was let through (the best
        known bound when nothing reports sends, as with a replaced transport)."""
        if ticket.sent_at is None:
            self._unsent -= 1
            bisect.insort(self._sent, ticket.granted_at)
            ticket.sent_at = ticket.granted_at
        self._notify()

    def _notify(self) -> None:
        self._gate.wake()
