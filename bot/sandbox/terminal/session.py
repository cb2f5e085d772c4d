"""Who the person at the terminal acts as, and where: the channel, thread or DM their lines go to."""

from __future__ import annotations

from bot.sandbox import permissions as P
from bot.sandbox.demo import DemoWorld
from bot.sandbox.driver import Driver, SandboxError
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import DM, PRIVATE_THREAD, Channel, Guild, User
from bot.sandbox.terminal.commandline import CommandLineError


class Session:
    def __init__(self, server: SandboxServer, world: DemoWorld) -> None:
        self.server = server
        self.world = world
        self.driver: Driver = server.driver
        self.user: User = world.alex
        self._place: Channel = world.support
        self.in_dm = False

    @property
    def guild(self) -> Guild:
        return self.world.guild

    @property
    def place(self) -> Channel:
        """The channel messages and commands go to (the current user's DM when in ``dm``)."""
        return self.driver.dm_channel(self.user) if self.in_dm else self._place

    def can_view(self, ch: Channel, user: User | None = None) -> bool:
        uid = (user or self.user).id
        if ch.type == DM:
            return uid in ch.recipient_ids
        return bool(self.server.world.permissions(ch, uid) & P.VIEW_CHANNEL)

    def can_send(self, ch: Channel) -> bool:
        return ch.type == DM or bool(self.server.world.permissions(ch, self.user.id) & P.SEND_MESSAGES)

    def where(self, ch: Channel) -> str:
        if ch.type == DM:
            return "DM"
        if ch.is_thread:
            parent = self.server.world.channels.get(ch.parent_id or 0)
            name = str(ch.name or "thread")
            short = name if len(name) <= 32 else name[:31] + "…"
            return f"#{parent.name if parent else '?'} › {short}"
        return f"#{ch.name}"

    def prompt_text(self) -> str:
        return f"{self.user.username} @ {self.where(self.place)}> "

    def name(self, user_id: int) -> str:
        u = self.server.world.users.get(user_id)
        return u.username if u is not None else str(user_id)

    def my_threads(self, user: User | None = None) -> list[Channel]:
        """Threads opened for ``user``: started on their message, or with them as a member."""
        u = user or self.user
        w = self.server.world
        out = []
        for ch in self.guild.channels.values():
            if not ch.is_thread or not self.can_view(ch, u):
                continue
            starter = w.messages.get(ch.id)
            if (starter is not None and starter.author_id == u.id) or u.id in ch.thread_members:
                out.append(ch)
        return sorted(out, key=lambda c: (c.created_at, c.id))

    def visible_threads(self) -> list[Channel]:
        return sorted((c for c in self.guild.channels.values() if c.is_thread and self.can_view(c)),
                      key=lambda c: (c.created_at, c.id))

    def thread_lines(self) -> list[str]:
        """The threads one can see, numbered as ``:in thread N`` takes them."""
        mine = set(map(id, self.my_threads()))
        lines = []
        for i, th in enumerate(self.visible_threads(), 1):
            facts = ["private" if th.type == PRIVATE_THREAD else "public"]
            if id(th) in mine:
                facts.append("yours")
            lines.append(f"  [{i}] {self.where(th)} ({', '.join(facts)})")
        return lines

    # -- :as and :in ------------------------------------------------------------------------------------
    def switch_user(self, arg: str) -> str:
        """Act as someone else (``:as``); returns what to tell the person."""
        users = self.world.users
        user = users.get(arg.lower().lstrip("@"))
        if user is None:
            raise CommandLineError(f"who is {arg!r}? Choose one of: {', '.join(users)}")
        self.user = user
        moved = ""
        if not self.in_dm and not self.can_view(self._place):
            self._place = self.world.support
            moved = f" ({user.username} cannot see that channel: moved to #support)"
        return f"you are now {user.username} in {self.where(self.place)}{moved}"

    def switch_place(self, arg: str) -> str:
        """Go somewhere else (``:in``); returns what to tell the person."""
        words = arg.lower().split()
        if not words:
            raise CommandLineError("where to? :in support|status|staff|dm|thread [N]")
        target = words[0].lstrip("#")
        if target == "dm":
            self.in_dm = True
        elif target == "thread":
            if len(words) > 1:
                threads = self.visible_threads()
                if not words[1].isdigit() or not 1 <= int(words[1]) <= len(threads):
                    raise CommandLineError(f"no thread {words[1]!r}; :threads lists them")
                th = threads[int(words[1]) - 1]
            else:
                mine = self.my_threads()
                if not mine:
                    raise CommandLineError("the bot has not opened a thread for you yet; :threads lists the "
                                           "threads you can see")
                th = mine[-1]
            self._place, self.in_dm = th, False
        else:
            ch = next((c for c in self.guild.channels.values() if not c.is_thread and c.name == target), None)
            if ch is None:
                names = ", ".join(str(c.name) for c in self.guild.channels.values() if not c.is_thread)
                raise CommandLineError(f"no channel #{target}; channels: {names}, or dm / thread")
            if not self.can_view(ch):
                raise SandboxError(f"{self.user.username} cannot see #{ch.name}")
            self._place, self.in_dm = ch, False
        ch = self.place
        extra = ""
        if ch.type != DM and not self.can_send(ch):
            extra = " (you can read but not send here)"
        elif ch.topic:
            extra = f" ({ch.topic})"
        return f"now in {self.where(ch)}{extra}"


__all__ = ["Session"]
