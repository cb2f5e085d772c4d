"""What the current person sees happen: the sandbox's events that concern them, as lines of text.

Only what happens after the chat started is shown; messages arrive where the person is, in their threads and DMs,
and elsewhere when they are pinged or clicked on the message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from bot.sandbox import events as E
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import DM, PRIVATE_THREAD, Channel, Message
from bot.sandbox.terminal.render import Renderer
from bot.sandbox.terminal.screen import Paint
from bot.sandbox.terminal.session import Session

log = logging.getLogger(__name__)


class Feed:
    def __init__(self, server: SandboxServer, session: Session, renderer: Renderer, paint: Paint) -> None:
        self.server = server
        self.session = session
        self.renderer = renderer
        self._c = paint
        self._pos = len(server.log.events)  # only what happens from now on is shown as it arrives
        self._typing_shown: set[int] = set()
        self._touched: set[int] = set()  # messages the user clicked on: show their edits wherever they are

    async def wait(self) -> None:
        """Until something has happened that was not shown yet."""
        events = self.server.log.events
        while True:
            try:
                await self.server.waiters.wait_for(lambda: True if len(events) > self._pos else None, 3600)
            except TimeoutError:
                continue
            return

    def updates(self) -> Iterator[str]:
        """One text per new event that concerns the person, each rendered as it is taken."""
        events = self.server.log.events
        while self._pos < len(events):
            ev = events[self._pos]
            self._pos += 1
            try:
                text = self._render(ev)
            except Exception:
                log.debug("could not render event %s", ev.kind, exc_info=True)
                continue
            if text:
                yield text

    def message(self, m: Message, *, edited: bool = False, in_history: bool = False) -> str:
        text = self.renderer.message(m, edited=edited, in_history=in_history)
        if m.author_id == self.session.driver.bot_user.id:
            self._typing_shown.discard(m.channel_id)  # the bot spoke: it may show it is typing once more
        return text

    def typed(self) -> None:
        """The person sent a message: the bot may show it is typing once more, anywhere."""
        self._typing_shown.clear()

    def touch(self, message: Message) -> None:
        """The person acted on ``message``: show its edits wherever it is."""
        self._touched.add(message.id)

    def _render(self, ev: E.Event) -> str | None:
        s = self.session
        w = self.server.world
        bot_name = s.driver.bot_user.username
        if ev.kind in (E.MESSAGE, E.MESSAGE_UPDATE) and ev.message is not None:
            m = ev.message
            if m.deleted or not self.concerns_me(m):
                return None
            return self.message(m, edited=ev.kind == E.MESSAGE_UPDATE)
        if ev.kind == E.MESSAGE_DELETE and ev.message is not None:
            m = ev.message
            ch = w.channels.get(m.channel_id)
            if m.author_id == s.user.id and ch is not None and not m.ephemeral:
                return self._c(f"(your message in {s.where(ch)} was removed)", "33")
            if ch is not None and ch is s.place and not m.ephemeral:
                return self._c(f"(a message from {s.name(m.author_id)} was deleted)", "2")
            return None
        if ev.kind == E.TYPING:
            ch = w.channels.get(int(ev.data.get("channel_id", 0)))
            if ch is None or ch.id in self._typing_shown or not self.follows(ch):
                return None
            self._typing_shown.add(ch.id)
            return self._c(f"{self.renderer.location(ch)}({bot_name} is typing…)", "2")
        if ev.kind == E.INTERACTION_RESPONSE and ev.data.get("type") == 5:
            rec = self.server.interactions.by_id.get(ev.interaction_id or 0)
            if rec is None or rec.user_id != s.user.id:
                return None
            return self._c(f"({bot_name} is thinking…)", "2")
        if ev.kind == E.THREAD_CREATE:
            th = w.channels.get(int(ev.data.get("channel_id", 0)))
            starter = w.messages.get(th.id) if th is not None else None
            if th is None or starter is None or starter.author_id != s.user.id or not s.can_view(th):
                return None
            return self._c(f"» {bot_name} opened the thread “{th.name}” on your message in "
                           f"{s.where(w.channels[th.parent_id or 0])}: `:in thread` to go there", "33")
        if ev.kind == E.THREAD_MEMBER_ADD and ev.data.get("user_id") == s.user.id:
            th = w.channels.get(int(ev.data.get("channel_id", 0)))
            if th is None:
                return None
            kind = "private thread" if th.type == PRIVATE_THREAD else "thread"
            return self._c(f"» you were added to the {kind} “{th.name}” in "
                           f"{s.where(w.channels[th.parent_id or 0])}: `:in thread` to go there", "33")
        return None

    def follows(self, ch: Channel) -> bool:
        """Channels whose new messages the current user sees as they arrive."""
        s = self.session
        if ch is s.place:
            return True
        if ch.type == DM:
            return s.user.id in ch.recipient_ids
        return ch.is_thread and ch in s.my_threads()

    def concerns_me(self, m: Message) -> bool:
        s = self.session
        me = s.user.id
        if m.author_id == me and m.edited_timestamp is None:
            return False  # what I typed myself
        ch = self.server.world.channels.get(m.channel_id)
        if ch is None:
            return False
        if m.ephemeral:
            return m.interaction_user_id == me
        if not s.can_view(ch):
            return False
        if self.follows(ch) or m.interaction_user_id == me or m.id in self._touched:
            return True
        pings = m.pings
        member = s.guild.members.get(me)
        my_roles = set(member.role_ids) if member is not None else set()
        return me in pings.users or bool(pings.roles & my_roles) or pings.everyone


__all__ = ["Feed"]
