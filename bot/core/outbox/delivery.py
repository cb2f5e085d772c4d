"""The delivery contract: what the worker hands a Sender, what a Sender may answer, and the hook for
work that belongs to a notice's owner (the status keeps its own bookkeeping; the worker reads no
status table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.outbox.notices import Notice, Route


class RetryLater(Exception):
    def __init__(self, after: float, reason: str) -> None:
        super().__init__(reason)
        self.after = after


class Unreachable(Exception):
    """The recipient does not accept messages from the bot (Discord 403 / 50007)."""


class DeliveryFailed(Exception):
    """A permanent failure (e.g. the channel is gone)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    route: Route
    target_id: int  # a channel (post, edit) or a user (dm)
    notice: Notice
    message_id: int | None  # edit: the message to edit
    attempts: int
    update_key: str | None

    @property
    def nonce(self) -> str:
        """The Discord nonce: a resend after a crash returns the first message instead of a second one."""
        return f"ob{self.id}"


class Sender(Protocol):
    async def deliver(self, item: OutboxItem) -> int | None:
        """Send or edit; return the Discord message id. Raise RetryLater, Unreachable or DeliveryFailed."""
        ...


class DeliveryHook(Protocol):
    async def prepare(self, session: AsyncSession, items: list[OutboxItem]) -> list[OutboxItem]:
        """The items as they should be sent now; leave out any that must not be sent."""
        ...

    async def sent(self, session: AsyncSession, item: OutboxItem, message_id: int) -> None:
        """Called inside the transaction that marks the row sent."""
        ...


class NoHook:
    async def prepare(self, session: AsyncSession, items: list[OutboxItem]) -> list[OutboxItem]:
        return items

    async def sent(self, session: AsyncSession, item: OutboxItem, message_id: int) -> None:
        return None
