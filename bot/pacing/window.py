"""Discord's global limit (50 requests per second per bot), respected up front and counted from send times.

discord.py learns the global limit only from 429 responses, and a burst of waiting requests then retries
together and can exhaust its 5 tries (the message is lost) while every 429 counts towards Discord's
invalid-request ban. Interaction responses and webhooks are exempt, as on Discord.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.pacing.gate import Gate


@dataclass
class Slot:
    """One request that reached (or is on its way to) the server: it counts there for one window."""

    sent_at: float  # loop time its headers left
    sent_wall: float  # the same moment on the wall clock, to compare with the server's
    one_way: float | None = None  # the server's clock when it counted the request, minus `sent_wall`
    body_left: bool = False  # its body's first bytes were written: `sent_at` is when they were


@dataclass
class Ticket:
    """One request's place in the global window: granted now, sent when its headers leave."""

    granted_at: float
    sent_at: float | None = None
    sent_wall: float = 0.0  # the same moment on the wall clock, to compare with the server's
    sends: int = 0  # discord.py retries a 429 inside one call: each try reaches the server
    slot: Slot | None = None  # the latest try's


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
    headers were written), the slot has no end; once it left, the slot ends a window (and a margin)
    after that send time. A long round trip costs nothing: the next window's requests go as soon as the
    first window's sends are a window old, not a window after their responses.

    The margin covers requests not arriving at the server in the order and spacing they were sent (the
    way there varies, and a busy server counts late). The one-way delay is read from the responses:
    Discord's `X-RateLimit-Reset` minus `-Reset-After` is the moment the server counted the request, on
    its clock (an unknown but constant offset between the clocks cancels out). Once a request's response
    told when it was counted, its slot ends one window after that: its own delay beyond the quickest
    recent one (a new request can arrive no sooner than that) plus `min_margin` for the headers' rounding.
    Until then, the slot ends `margin` after the window: the recent spread of the one-way delay, at least
    `min_margin`. Without those headers, the spread of round trips stands in (it also counts delays on
    the way back, so it is larger than needed). Every global 429 seen lately adds to both (decaying while
    none come).

    Each window's sends start the next one's, so what is added to a slot is added again every window: a
    burst of `n` requests takes `n / limit` windows of `window` plus that much each.
    """

    def __init__(self, limit: int = 50, window: float = 1.0, *, min_margin: float = 0.005,
                 max_margin: float = 0.25, clock: Callable[[], float] | None = None) -> None:
        self.limit = limit
        self.window = window
        self.min_margin = min_margin
        self.max_margin = max_margin
        self.stats = PacerStats()
        self._slots: list[Slot] = []  # requests sent within about the last window (unsorted: `limit` or so)
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

    def _ends(self) -> Callable[[Slot], float]:
        """When a slot frees (loop time): a window after the server counted its request, as far as known."""
        margin = self.margin
        quickest = min(self._one_way) if len(self._one_way) >= 8 else None  # (as for `margin`)

        def ends(slot: Slot) -> float:
            if slot.one_way is None or quickest is None:
                return slot.sent_at + self.window + margin
            late = max(0.0, slot.one_way - quickest)  # how much later than the quickest recent one it arrived
            return slot.sent_at + self.window + min(self.max_margin, late + self.min_margin + self._penalty)

        return ends

    # -- the slot ---------------------------------------------------------------------------------------
    def _free(self, now: float) -> tuple[int, float | None]:
        """(how many may go now, seconds until the first slot frees: None while none has left)."""
        ends = self._ends()
        live = [(ends(slot), slot) for slot in self._slots]
        if any(end <= now for end, _ in live):
            live = [(end, slot) for end, slot in live if end > now]
            self._slots = [slot for _, slot in live]
        first = min(end for end, _ in live) - now + 1e-6 if live else None
        return self.limit - self._unsent - len(live), first

    def _room(self, now: float) -> float | None:
        free, first = self._free(now)
        # the first slot to end frees room; an unsent request only once it leaves
        return 0 if free > 0 else first

    def _spare(self, now: float) -> int:
        return max(0, self._free(now)[0])

    def _take(self) -> None:
        self._unsent += 1

    async def acquire(self) -> Ticket:
        started = self.now()
        waited = await self._gate.turn(self._room, self._take, self.now, self._spare)
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
        ticket.slot = Slot(now, ticket.sent_wall)
        self._slots.append(ticket.slot)
        self._quiet_sends += 1
        if self._quiet_sends >= 2 * self.limit:  # a quiet stretch: forget half of the 429 penalty
            self._penalty /= 2
            self._quiet_sends = 0
        self._notify()

    def body_sent(self, ticket: Ticket) -> None:
        """The first bytes of the request's body have just been written (called per try, before `answered`).

        aiohttp reports the headers as sent when it has only buffered them: a request with a body sends them
        together with it, from a task of its own that runs a turn (or, on a busy loop, many turns) of the
        event loop later. Counted from the headers, such a request would be counted from before it left,
        and its slot would end early. The try counts from now instead (later, so never less safe).
        """
        slot = ticket.slot
        if slot is None or slot.body_left:
            return
        slot.body_left = True
        slot.sent_at = ticket.sent_at = self.now()
        slot.sent_wall = ticket.sent_wall = time.time()

    def answered(self, ticket: Ticket, *, global_429: bool = False, server_time: float | None = None) -> None:
        """A response to the request's latest try arrived; `server_time`: when the server counted it (its
        wall clock, if the response says)."""
        now = self.now()
        if ticket.sent_at is not None:
            self._round_trips.append(now - ticket.sent_at)
            if server_time is not None and ticket.slot is not None:
                ticket.slot.one_way = server_time - ticket.slot.sent_wall
                self._one_way.append(ticket.slot.one_way)
        if global_429:
            self.stats.global_429s += 1
            self._penalty = min(self.max_margin, self._penalty + 0.02)
            self._quiet_sends = 0
        self._notify()  # the slot's end is now known, often sooner than guessed

    def release(self, ticket: Ticket) -> None:
        """The call is over. A request never seen leaving counts from when it was let through (the best
        known bound when nothing reports sends, as with a replaced transport)."""
        if ticket.sent_at is None:
            self._unsent -= 1
            ticket.sent_at = ticket.granted_at
            self._slots.append(Slot(ticket.granted_at, 0.0))
        self._notify()

    def _notify(self) -> None:
        if self._gate.waiting:
            self._gate.wake(self._spare(self.now()))
