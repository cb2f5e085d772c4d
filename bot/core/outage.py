"""Riding out a database outage (a restart, a fail-over, a network cut) without losing work or flooding the log.

`is_unavailable` tells an outage (the server cannot be reached, or cut the connection) from any other error.
An `Outage` per database logs one WARNING when the first failure is reported and one INFO when the
database answers again, and runs one probe that everything waiting for the database shares: a burst of
messages held during an outage does not become a burst of connection attempts against a server that is
starting up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.core.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# SQLSTATE classes of a server that is gone or going: 08 connection exception, 57P admin shutdown / crash
# shutdown / cannot connect now (starting up), 53300 too many connections
_UNAVAILABLE_STATES = ("08", "57P", "53300")
_MISTAKE = re.compile(r"no such (table|column)|syntax error|has no column", re.IGNORECASE)  # SQLite says these too
PROBE_FIRST_SECONDS = 0.25
PROBE_MAX_SECONDS = 2.0


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database could not be reached or dropped the connection (worth waiting out),
    rather than a mistake in a statement or the data (not worth retrying)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DatabaseUnavailable | OSError | TimeoutError | PoolTimeout):
            return True  # refused, reset, unreachable host; TimeoutError: a connect that never completed
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OperationalError | InterfaceError) and not _MISTAKE.search(str(current)):
            return True  # sqlite: locked / unable to open; asyncpg: connection closed mid-operation
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        if type(current).__name__ in ("ConnectionDoesNotExistError", "InterfaceError"):
            return True  # asyncpg's own, when it is not wrapped
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def describe(exc: BaseException) -> str:
    """The error's type and the first line of the driver's message: no statement, no parameters."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0][:200]}" if lines else type(orig).__name__


class Outage:
    """The state of one database's availability, as the process last saw it."""

    def __init__(self, probe: Callable[[], Awaitable[None]], *, name: str = "database") -> None:
        self._probe = probe
        self.name = name
        self.since: float | None = None  # monotonic time of the first failure of the current outage
        self.outages = 0
        self._up = asyncio.Event()
        self._up.set()
        self._prober: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, what: str, exc: BaseException) -> None:
        """Report that `what` could not reach the database: one WARNING per outage, and a probe starts."""
        if self.since is None:
            self.since = time.monotonic()
            self.outages += 1
            self._up.clear()
            log.warning(
                "the %s cannot be reached (%s, while %s); holding work until it answers again",
                self.name, describe(exc), what,
            )
        else:
            log.debug("%s: %s still unreachable (%s)", what, self.name, type(exc).__name__)
        self._start_probe()

    def recovered(self) -> None:
        if self.since is None:
            return
        log.info("the %s answers again after %.1f s", self.name, time.monotonic() - self.since)
        self.since = None
        self._up.set()

    async def wait(self, timeout: float) -> bool:
        """Until the database answers again (True), or `timeout` seconds (False)."""
        if self.since is None:
            return True
        self._start_probe()
        try:
            await asyncio.wait_for(self._up.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _start_probe(self) -> None:
        if self._prober is None or self._prober.done():
            self._prober = asyncio.get_running_loop().create_task(self._probing(), name="database-probe")

    async def _probing(self) -> None:
        delay = PROBE_FIRST_SECONDS
        while self.since is not None:
            try:
                await self._probe()
            except Exception as exc:
                if not is_unavailable(exc):
                    log.warning("probing the %s failed (%s)", self.name, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, PROBE_MAX_SECONDS)
                continue
            self.recovered()

    async def close(self) -> None:
        if self._prober is not None and not self._prober.done():
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
