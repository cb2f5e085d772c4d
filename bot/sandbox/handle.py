"""What a driver action gives back: a user's interaction as seen from the outside, or a SandboxError."""

from __future__ import annotations

from collections.abc import Callable

from bot.sandbox import events as E
from bot.sandbox.events import EventLog
from bot.sandbox.interactions import InteractionRecord
from bot.sandbox.state import JSON, Message
from bot.sandbox.waiters import Waiters
from bot.sandbox.world import World


class SandboxError(Exception):
    """A driver action that a real Discord client would not let a user perform."""


class InteractionHandle:
    """A user's interaction as seen from the outside: what the bot answered, and when."""

    def __init__(self, record: InteractionRecord, world: World, waiters: Waiters, log: EventLog) -> None:
        self.record = record
        self._world = world
        self._waiters = waiters
        self._log = log

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def responded(self) -> bool:
        return self.record.responded

    @property
    def response_type(self) -> int | None:
        """4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal."""
        return self.record.response_type

    @property
    def modal(self) -> JSON | None:
        """``{"custom_id", "title", "components"}`` of the modal the bot opened, if any."""
        return self.record.modal

    @property
    def choices(self) -> list[JSON] | None:
        return self.record.choices

    @property
    def original_message(self) -> Message | None:
        mid = self.record.original_message_id
        return self._world.messages.get(mid) if mid is not None else None

    @property
    def followups(self) -> list[Message]:
        msgs = self._world.messages
        return [msgs[i] for i in self.record.followup_ids]

    @property
    def ephemeral(self) -> bool:
        m = self.original_message
        return m is not None and m.ephemeral

    async def wait_response(self, timeout: float = 5.0) -> int:
        """Wait for the initial callback; returns its type."""
        return await self._waiters.wait_for(lambda: self.record.response_type, timeout)

    async def wait_message(self, predicate: Callable[[Message], bool] | None = None, *,
                           timeout: float = 5.0) -> Message:
        """Wait for a visible message of this interaction (response, filled-in defer, or followup)."""

        def mine(e: E.Event) -> bool:
            return e.interaction_id == self.id and e.message is not None and (predicate is None or predicate(e.message))

        ev = await self._waiters.wait_for(lambda: self._log.find(E.MESSAGE, mine, 0), timeout)
        assert ev.message is not None
        return ev.message

    async def wait_modal(self, timeout: float = 5.0) -> JSON:
        return await self._waiters.wait_for(lambda: self.record.modal, timeout)

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.record.type} response={self.response_type}>"


__all__ = ["InteractionHandle", "SandboxError"]
