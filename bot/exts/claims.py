"""Claim each incoming event before acting on it, so N processes on one token act once (see core/claims.py).

- messages: `claim_message` at the top of a listener, once the message is known to concern it (a scope
  per listener: two listeners of one process each get the message); if the process that won it dies
  before its listener ends, another process runs its own listener again once the claim's lease is out;
- edits: `claim_edit`, likewise;
- slash commands and autocomplete: `ClaimingTree.interaction_check`, which runs before every command;
- buttons: the `Claimed` mixin on each DynamicItem, which also makes sure a failing button still answers.

If the database cannot be reached, a message waits for it (up to HOLD_SECONDS) and is claimed when it
answers again, so a restart of the database neither loses nor duplicates an answer. An interaction cannot
wait (Discord wants its answer within 3 seconds): it is handled at once, and since Discord takes only one
response to an interaction, the person still gets one. Past the hold, a message is handled anyway: a
customer may then hear twice from a pair of processes (answers carry nonces, which mostly prevents it),
which beats hearing nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.core.claims import Outcome, edit_key, interaction_key, message_key
from bot.core.errors import DatabaseUnavailable
from bot.core.models import utcnow
from bot.core.outage import is_unavailable
from bot.ui.errors import tell_user

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)

RETRY_MARGIN_SECONDS = 0.5
POOL_WAITS = 3  # times a claim waits for a free database connection before the event is handled anyway
# How long a message waits for an unreachable database (a restart, a fail-over) before it is handled anyway.
# Interactions cannot wait: Discord wants their answer within 3 seconds.
HOLD_SECONDS = 90.0
RETRY_PAUSE_SECONDS = 0.1


_background: set[asyncio.Task[None]] = set()


def _spawn(coro: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _take(client: discord.Client, key: str, *, hold: float = 0.0) -> Outcome | None:
    """The claim's outcome; None when there is nothing to share it with or the database is unreachable.

    While the database is unreachable the claim is tried again once it answers, for up to `hold` seconds:
    the event then goes to one process, as always, instead of to every process at once."""
    services = getattr(client, "services", None)
    if services is None:  # a client without our services (never the product bot)
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + hold
    pool_waits = 0
    kind = key.split(":")[0]
    while True:
        try:
            outcome: Outcome = await services.claims.take(key)
            return outcome
        except PoolTimeout:  # reachable but busy (a burst): handling it blindly would only add to the load
            pool_waits += 1
            log.warning("claim of %s waited for a database connection (%d)", kind, pool_waits)
            if pool_waits >= POOL_WAITS:
                return None
        except (SQLAlchemyError, DatabaseUnavailable, OSError) as exc:
            if not is_unavailable(exc):
                log.warning("could not claim %s (%s); handling it here", kind, type(exc).__name__)
                return None
            outage = services.db.outage
            outage.failed("claiming an event", exc)
            left = deadline - loop.time()
            if left <= 0 or not await outage.wait(left):
                log.info("the database did not answer in time to claim %s; handling it here", kind)
                return None
            await asyncio.sleep(RETRY_PAUSE_SECONDS)  # never a busy loop, whatever the probe says


async def _claim_event(
    client: discord.Client, key: str, retry: Callable[[], Coroutine[Any, Any, None]]
) -> bool:
    """True: handle the event now (marked done when the calling handler's task ends). False: drop it, and
    if another process holds it, call `retry` once its lease has run out, in case that process died."""
    outcome = await _take(client, key, hold=HOLD_SECONDS)
    if outcome is None:
        return True
    claims = client.services.claims  # type: ignore[attr-defined]
    if outcome.won:
        task = asyncio.current_task()
        if task is not None:
            task.add_done_callback(lambda _: claims.finish_soon(key))
        return True
    if outcome.retry_at is not None:
        delay = max(0.0, (outcome.retry_at - utcnow()).total_seconds()) + RETRY_MARGIN_SECONDS
        asyncio.get_running_loop().call_later(delay, _retry_unless_closed, client, retry)
    return False


def _retry_unless_closed(client: discord.Client, retry: Callable[[], Coroutine[Any, Any, None]]) -> None:
    if not client.is_closed():
        _spawn(retry())


async def claim_message(
    bot: SupportBot, message: discord.Message, *, scope: str, retry: Callable[[], Coroutine[Any, Any, None]]
) -> bool:
    """Call at the top of a message listener, once the message concerns it; `retry` runs the listener again."""
    return await _claim_event(bot, message_key(scope, message.id), retry)


async def claim_edit(
    bot: SupportBot, message: discord.Message, *, scope: str, retry: Callable[[], Coroutine[Any, Any, None]]
) -> bool:
    return await _claim_event(bot, edit_key(scope, message.id, message.edited_at), retry)


async def claim_interaction(interaction: discord.Interaction) -> bool:
    """Interactions are not taken over: one must be answered within 3 seconds, longer than a lease."""
    outcome = await _take(interaction.client, interaction_key(interaction.id))
    return outcome is None or outcome.won


class ClaimingTree(app_commands.CommandTree[discord.Client]):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await claim_interaction(interaction)


Callback = Callable[[Any, discord.Interaction], Awaitable[None]]


class Claimed:
    """Mixin for a DynamicItem: one process answers a press, and a press is always answered.

    `class MyButton(Claimed, discord.ui.DynamicItem[...], template=...)`. discord.py only logs an exception
    raised by a dynamic item's callback; here the person who pressed is told, once.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original = cls.__dict__.get("callback")
        if original is not None:
            setattr(cls, "callback", _answering(cast(Callback, original)))  # noqa: B010

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await claim_interaction(interaction)


def _answering(callback: Callback) -> Callback:
    @functools.wraps(callback)
    async def answered(self: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:  # tell_user logs what is not the user's doing
            await tell_user(interaction, exc)

    return answered
