"""The driver: what tests and a terminal front end use to build a world, act as users and observe the bot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from bot.sandbox import events as E
from bot.sandbox import permissions as P
from bot.sandbox.events import Event, RequestRecord
from bot.sandbox.gateway import GUILD_MEMBERS, GUILD_PRESENCES, GUILDS
from bot.sandbox.handle import InteractionHandle, SandboxError
from bot.sandbox.interaction_data import check_command_allowed, component_data, modal_answers, slash_command_data
from bot.sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
)
from bot.sandbox.messages import UploadedFile
from bot.sandbox.state import DM, JSON, Channel, Guild, Member, Message, Overwrite, Pings, Role, ThreadMember, User
from bot.sandbox.validation import MessageDraft
from bot.sandbox.world import Command

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

#: What the bot's managed role gets by default in a guild created by the driver.
DEFAULT_BOT_PERMISSIONS = (
    P.VIEW_CHANNEL | P.SEND_MESSAGES | P.SEND_MESSAGES_IN_THREADS | P.EMBED_LINKS | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS | P.CREATE_PUBLIC_THREADS | P.CREATE_PRIVATE_THREADS
    | P.MANAGE_THREADS | P.MANAGE_MESSAGES | P.USE_APPLICATION_COMMANDS | P.USE_EXTERNAL_EMOJIS
)


class Driver:
    """Acts on the sandbox as the people in it would, and observes what the bot did (events, messages, requests)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.world = server.world

    def _handle(self, record: InteractionRecord) -> InteractionHandle:
        return InteractionHandle(record, self.world, self.server.waiters, self.server.log)

    # -- identity ---------------------------------------------------------------------------------------
    @property
    def bot_user(self) -> User:
        return self.world.bot_user

    @property
    def application_id(self) -> int:
        return self.world.application_id

    # -- world building -----------------------------------------------------------------------------------
    def create_user(self, username: str, *, bot: bool = False, accepts_dms: bool = True) -> User:
        return self.world.create_user(username, bot=bot, accepts_dms=accepts_dms)

    async def create_guild(self, name: str, *, owner: User | None = None,
                           bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
                           everyone_permissions: int | None = None) -> Guild:
        g = self.world.create_guild(name, owner=owner, bot_permissions=bot_permissions)
        if everyone_permissions is not None:
            g.roles[g.id].permissions = everyone_permissions
        if self.server.gateway.sessions:
            await self.server.gateway.dispatch(
                "GUILD_CREATE", lambda s: self.world.guild_dict(g, all_members=bool(s.intents & GUILD_PRESENCES)))
        return g

    def everyone_role(self, guild: Guild) -> Role:
        return guild.roles[guild.id]

    def bot_role(self, guild: Guild) -> Role:
        return next(r for r in guild.roles.values() if r.managed)

    async def create_role(self, guild: Guild, name: str, permissions: int = 0, *,
                          mentionable: bool = False) -> Role:
        r = self.world.create_role(guild, name, permissions, mentionable=mentionable)
        await self.server.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": r.to_dict()},
                                           intent=GUILDS)
        return r

    async def add_member(self, guild: Guild, user: User, *, roles: Iterable[Role] = (),
                         nick: str | None = None) -> Member:
        m = Member(user_id=user.id, guild_id=guild.id, role_ids=[r.id for r in roles], nick=nick)
        guild.members[user.id] = m
        await self.server.gateway.dispatch(
            "GUILD_MEMBER_ADD", self.world.member_dict(guild, m) | {"guild_id": str(guild.id)}, intent=GUILD_MEMBERS)
        return m

    async def add_role(self, guild: Guild, user: User, role: Role) -> None:
        m = guild.members[user.id]
        if role.id not in m.role_ids:
            m.role_ids.append(role.id)
        await self.server.gateway.dispatch(
            "GUILD_MEMBER_UPDATE", self.world.member_dict(guild, m) | {"guild_id": str(guild.id)},
            intent=GUILD_MEMBERS)

    async def create_text_channel(self, guild: Guild, name: str, *, topic: str | None = None,
                                  overwrites: Mapping[Role | User, tuple[int, int]] | None = None) -> Channel:
        """``overwrites`` maps a role (the @everyone role included) or user to ``(allow, deny)``."""
        ch = self.world.create_channel(guild, name, topic=topic)
        for target, (allow, deny) in (overwrites or {}).items():
            ch.overwrites[target.id] = Overwrite(target.id, 0 if isinstance(target, Role) else 1, allow, deny)
        await self.server.gateway.dispatch("CHANNEL_CREATE", self.world.channel_dict(ch), intent=GUILDS)
        return ch

    async def set_overwrite(self, channel: Channel, target: Role | User, *, allow: int = 0, deny: int = 0) -> None:
        channel.overwrites[target.id] = Overwrite(target.id, 0 if isinstance(target, Role) else 1, allow, deny)
        await self.server.gateway.dispatch("CHANNEL_UPDATE", self.world.channel_dict(channel), intent=GUILDS)

    async def create_thread(self, channel: Channel, name: str, *, owner: User, private: bool = False,
                            message: Message | None = None, members: Iterable[User] = ()) -> Channel:
        """A thread started by a user (from ``message`` if given)."""
        th = self.world.create_thread(channel, name, owner_id=owner.id, private=private,
                                      thread_id=message.id if message is not None else None)
        for u in members:
            th.thread_members.setdefault(u.id, ThreadMember(u.id))
        if self.world.bot_can_see(th):
            await self.server.gateway.dispatch("THREAD_CREATE", self.world.channel_dict(th) | {"newly_created": True},
                                               intent=GUILDS)
        return th

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between ``user`` and the bot (created on first use, as a user opening a DM)."""
        return self.world.get_or_create_dm(user)

    # -- user actions ---------------------------------------------------------------------------------------
    def _require(self, channel: Channel, user: User, perm: int, what: str) -> None:
        if channel.type == DM:
            return
        if not self.world.permissions(channel, user.id) & perm:
            raise SandboxError(f"{user.username} cannot {what} in #{channel.name}")

    async def user_says(self, user: User, channel: Channel | Literal["dm"], content: str = "", *,
                        reply_to: Message | None = None, embeds: list[JSON] | None = None,
                        files: Iterable[tuple[str, bytes]] = ()) -> Message:
        """``user`` posts in ``channel`` (or ``"dm"``: the user's DM with the bot). Dispatches MESSAGE_CREATE."""
        ch = self.dm_channel(user) if channel == "dm" else channel
        assert isinstance(ch, Channel)
        self._require(ch, user, P.SEND_MESSAGES, "send messages")
        uploads = [UploadedFile(i, name, data) for i, (name, data) in enumerate(files)]
        draft = MessageDraft(content=content, embeds=embeds or [], reference_id=reply_to.id if reply_to else None)
        msg, _ = await self.server.messages.create(ch, user.id, draft, uploads, check_perms=False,
                                                   raw={"content": content})
        return msg

    async def user_edits(self, user: User, message: Message, content: str) -> Message:
        if message.author_id != user.id:
            raise SandboxError("users can only edit their own messages")
        draft = MessageDraft(content=content, present={"content"})
        return await self.server.messages.edit(message, draft)

    async def user_deletes(self, user: User, message: Message) -> None:
        ch = self.world.channels[message.channel_id]
        if message.author_id != user.id:
            self._require(ch, user, P.MANAGE_MESSAGES, "delete others' messages")
        await self.server.messages.delete(message)

    def find_command(self, name: str, guild: Guild | None) -> Command:
        top = name.split()[0]
        if guild is not None:
            for c in self.world.guild_commands.get(guild.id, {}).values():
                if c.name == top and c.data.get("type", 1) == 1:
                    return c
        for c in self.world.global_commands.values():
            if c.name == top and c.data.get("type", 1) == 1:
                return c
        raise SandboxError(f"no synced slash command named {top!r}")

    async def _slash(self, user: User, command: str, options: Mapping[str, Any] | None, channel: Channel,
                     itype: int, focused: str | None = None) -> InteractionHandle:
        guild = self.world.guild_of(channel)
        cmd = self.find_command(command, guild)
        check_command_allowed(self.world, cmd, user, channel, guild)
        data = slash_command_data(self.world, cmd, command, options, guild, focused)
        rec = await self.server.interactions.create(itype, user, channel, data)
        return self._handle(rec)

    async def run_slash(self, user: User, command: str, options: Mapping[str, Any] | None = None, *,
                        channel: Channel) -> InteractionHandle:
        """Run ``/command`` (``"group sub"`` for subcommands). Option values: str/int/bool/float, or
        User/Member, Role, Channel objects for those option types. In a DM pass ``driver.dm_channel(user)``."""
        return await self._slash(user, command, options, channel, APPLICATION_COMMAND)

    async def autocomplete(self, user: User, command: str, options: Mapping[str, Any], focused: str, *,
                           channel: Channel) -> InteractionHandle:
        return await self._slash(user, command, options, channel, AUTOCOMPLETE, focused)

    async def _component(self, user: User, message: Message, custom_id: str, values: list[str] | None
                         ) -> InteractionHandle:
        if message.deleted:
            raise SandboxError("message was deleted")
        channel = self.world.channels[message.channel_id]
        if message.ephemeral and message.interaction_user_id != user.id:
            raise SandboxError("only the interaction's user can see this ephemeral message")
        self._require(channel, user, P.VIEW_CHANNEL, "see messages")
        data = component_data(message, custom_id, values)
        rec = await self.server.interactions.create(MESSAGE_COMPONENT, user, channel, data, message=message)
        return self._handle(rec)

    async def click(self, user: User, message: Message, custom_id: str) -> InteractionHandle:
        """Click the button ``custom_id`` on ``message``."""
        return await self._component(user, message, custom_id, None)

    async def select(self, user: User, message: Message, custom_id: str, values: list[str]) -> InteractionHandle:
        return await self._component(user, message, custom_id, values)

    async def submit_modal(self, user: User, opened_by: InteractionHandle,
                           values: Mapping[str, str | list[str]]) -> InteractionHandle:
        """Submit the modal ``opened_by``'s response opened; ``values`` maps input custom_id -> value."""
        rec = opened_by.record
        modal = rec.modal
        if modal is None:
            raise SandboxError("that interaction did not open a modal")
        if rec.user_id != user.id:
            raise SandboxError("only the user who opened the modal can submit it")
        if rec.modal_submitted:
            raise SandboxError("modal already submitted")
        comps = modal_answers(modal, values)
        rec.modal_submitted = True
        channel = self.world.channels[rec.channel_id]
        src = self.world.messages.get(rec.source_message_id) if rec.source_message_id else None
        new = await self.server.interactions.create(
            MODAL_SUBMIT, user, channel, {"custom_id": modal["custom_id"], "components": comps}, message=src)
        return self._handle(new)

    # -- observation --------------------------------------------------------------------------------------
    def cursor(self) -> int:
        """The current event position; pass as ``after=`` to wait only for later events."""
        return self.server.log.cursor

    def _after(self, after: int | Message | None) -> int:
        if after is None:
            return 0
        if isinstance(after, Message):
            return self.server.log.seq_of(after.id)
        return after

    async def wait_for_event(self, kind: str | None, predicate: Callable[[Event], bool] | None = None, *,
                             timeout: float = 5.0, after: int | Message | None = None) -> Event:
        start = self._after(after)
        return await self.server.waiters.wait_for(lambda: self.server.log.find(kind, predicate, start), timeout)

    async def wait_for_message(self, predicate: Callable[[Message], bool] | None = None, *,
                               timeout: float = 5.0, after: int | Message | None = None,
                               channel: Channel | None = None, from_bot: bool = True) -> Message:
        """Wait for a message to become visible (bot-sent by default, incl. interaction responses and
        followups; a deferred response counts when its content arrives). Searches history after ``after``
        (an event cursor or a message) first; ``after=None`` searches all history."""
        bot_id = self.world.bot_user.id

        def ok(ev: Event) -> bool:
            m = ev.message
            return (m is not None and not m.deleted and (not from_bot or m.author_id == bot_id)
                    and (channel is None or m.channel_id == channel.id)
                    and (predicate is None or predicate(m)))

        ev = await self.wait_for_event(E.MESSAGE, ok, timeout=timeout, after=after)
        assert ev.message is not None
        return ev.message

    def messages_in(self, channel: Channel, *, include_deleted: bool = False) -> list[Message]:
        return sorted((m for m in self.world.messages.values()
                       if m.channel_id == channel.id and (include_deleted or not m.deleted)), key=lambda m: m.id)

    def bot_messages(self, channel: Channel | None = None) -> list[Message]:
        bot_id = self.world.bot_user.id
        return sorted((m for m in self.world.messages.values() if m.author_id == bot_id and not m.deleted
                       and (channel is None or m.channel_id == channel.id)), key=lambda m: m.id)

    def requests(self, method: str | None = None, route: str | None = None) -> list[RequestRecord]:
        """Recorded REST requests; ``route`` filters by template, e.g. ``/channels/{channel_id}/messages``."""
        return [r for r in self.server.log.requests
                if (method is None or r.method == method) and (route is None or r.route == route)]

    def pings(self, message: Message) -> Pings:
        return message.pings

    def attachment_bytes(self, message: Message, index: int = 0) -> bytes:
        return message.attachments[index].data

    @property
    def rate_limit_hits(self) -> Counter[str]:
        """429s answered, per bucket name (``"global"`` for the global limit)."""
        return self.server.ratelimiter.hits

    def commands(self, guild: Guild | None = None) -> dict[str, Command]:
        store = self.world.guild_commands.get(guild.id, {}) if guild is not None else self.world.global_commands
        return {c.name: c for c in store.values()}

    def interaction(self, interaction_id: int) -> InteractionHandle:
        return self._handle(self.server.interactions.by_id[interaction_id])

    # -- gateway ----------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.server.gateway.identified

    @property
    def intents(self) -> int | None:
        return self.server.gateway.intents

    @property
    def identify_count(self) -> int:
        return self.server.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return sum(s.resumes for s in self.server.gateway.sessions.values())

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        await self.server.waiters.wait_for(lambda: True if self.connected else None, timeout)

    async def reconnect(self, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Send op 7 RECONNECT; with ``wait`` return once the client has RESUMEd."""
        before = self.resume_count
        await self.server.gateway.send_reconnect()
        if wait:
            await self.server.waiters.wait_for(lambda: True if self.resume_count > before else None, timeout)

    async def drop_connection(self, code: int = 4000, *, wait: bool = False, timeout: float = 10.0) -> None:
        """Close the bot's socket from the server side; with ``wait`` return after it RESUMEs."""
        before = self.resume_count
        await self.server.gateway.drop(code)
        if wait:
            await self.server.waiters.wait_for(lambda: True if self.resume_count > before else None, timeout)

    async def sleep_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        await self.server.waiters.wait_for(lambda: True if predicate() else None, timeout)


__all__ = ["DEFAULT_BOT_PERMISSIONS", "Driver", "InteractionHandle", "SandboxError"]
