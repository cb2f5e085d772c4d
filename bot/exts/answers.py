"""Customers' questions: support channels (answered in a thread), follow-ups, DMs, mentions and `/ask`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.answering import Answer, Question
from bot.core.errors import UserFacingError
from bot.core.outage import is_unavailable
from bot.exts.checks import is_staff
from bot.exts.claims import claim_edit, claim_message
from bot.exts.feedback import answer_view
from bot.exts.handover import hand_over
from bot.ui.errors import GENERIC
from bot.ui.replies import NO_MENTIONS, followup_parts, reply_interaction, send_parts

if TYPE_CHECKING:
    from bot.bot import SupportBot
    from bot.exts.surge import Surge

log = logging.getLogger(__name__)

THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"
DATABASE_AWAY = (
    "Sorry, I can't reach our records just now, so I couldn't answer that. Nothing you sent was lost; "
    "please ask again in a few minutes."
)
HYGIENE_NOTICE = (
    "I removed your message because it contained a device ID, which should never be posted where others can "
    "see it. Please register your phone privately with `/device register`, and ask your question again "
    "without the number."
)


class Answers(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self._background: set[asyncio.Task[None]] = set()

    @property
    def support_channels(self) -> set[int]:
        return set(self.bot.settings.support_channel_ids)

    # -- messages -----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        me = self.bot.user
        channel = message.channel
        is_dm = isinstance(channel, discord.DMChannel)
        # hygiene first, in every channel the bot can see and for everyone (staff too): no device ID stays up
        if not is_dm and self._holds_device_id(message):
            # one process of several removes it and tells the customer, once
            if await claim_message(self.bot, message, scope="hygiene", retry=lambda: self.on_message(message)):
                await self._remove_device_id(message)
            return
        in_support = isinstance(channel, discord.TextChannel) and channel.id in self.support_channels
        in_our_thread = (
            isinstance(channel, discord.Thread)
            and channel.type == discord.ChannelType.public_thread  # private ones are hand-overs: staff answer
            and channel.parent_id in self.support_channels
            and me is not None
            and channel.owner_id == me.id
        )
        mentioned = me is not None and me in message.mentions
        if not (is_dm or in_support or in_our_thread or mentioned):
            return
        if not await claim_message(self.bot, message, scope="answers", retry=lambda: self.on_message(message)):
            return  # another process of this bot has it
        if is_dm:  # later notices to this customer need not open the channel again
            self.bot.services.dm_channels.remember(message.author.id, channel.id)
        if not is_dm and is_staff(self.bot, message.author):
            return  # staff talking to a customer in a thread is not a question for the bot
        text = _strip_mention(message.content, me.id if me else 0)
        try:
            if in_support:
                await self._answer_in_new_thread(message, text)
            elif is_dm:
                await self._answer(message, text, channel.id, "dm", reply=False)
            elif in_our_thread:
                await self._answer(message, text, channel.id, "thread", reply=False)
            else:
                await self._answer(message, text, channel.id, "mention", reply=True)
        except discord.HTTPException:
            log.exception("could not deliver an answer in channel %s", channel.id)
        except Exception as exc:  # the customer hears something, never silence and never a traceback
            if is_unavailable(exc):  # an outage is reported once, by the database's outage log
                self.bot.services.db.outage.failed("answering a message", exc)
                apology = DATABASE_AWAY
            else:
                log.exception("answering failed in channel %s", channel.id)
                apology = str(exc) if isinstance(exc, UserFacingError) else GENERIC
            with contextlib.suppress(discord.HTTPException):
                await channel.send(apology, allowed_mentions=NO_MENTIONS)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit that adds a device ID is removed like a new message would be (cached or not)."""
        message = payload.message
        if payload.guild_id is None or message.author.bot or "content" not in payload.data:
            return
        if self._holds_device_id(message) and await claim_edit(
            self.bot, message, scope="hygiene", retry=lambda: self.on_raw_message_edit(payload)
        ):
            await self._remove_device_id(message)

    def _holds_device_id(self, message: discord.Message) -> bool:
        texts = [message.content]
        for embed in message.embeds:  # a link preview or a quoted embed shows text too
            texts.extend(t for t in (embed.title, embed.description) if t)
        return any(self.bot.services.scanner.contains(t) for t in texts if t)

    async def _answer_in_new_thread(self, message: discord.Message, text: str) -> None:
        answer = None
        # looked up by name: load_extension runs bot/exts/surge.py as a module of its own, so its class is
        # not the one an import here would see
        surge = cast("Surge | None", self.bot.get_cog("Surge"))
        if surge is not None and surge.active(message.channel.id):
            answer = await surge.take(message, text)
            if answer is None:  # answered in the channel's public post
                return
            if surge.prefer_reply(message.channel.id):
                await self._answer(message, text, message.channel.id, "mention", reply=True, answer=answer)
                return
        # threads are named after the question: the name is public, so it passes the scanner too
        first_line = self.bot.services.scanner.redact(" ".join(text.split()))
        name = first_line[:80] or f"Question from {message.author.display_name}"
        thread: discord.Thread | None = None
        try:
            thread = await message.create_thread(name=name, auto_archive_duration=1440)
        except discord.HTTPException as exc:
            # a process that handled this message before (and died, or lost its database before marking it
            # done) opened the thread already: answer there, where the nonce keeps a sent answer from repeating
            if exc.code == THREAD_EXISTS:
                thread = await self._existing_thread(message)
            if thread is None:
                log.warning("could not open a thread (%s); answering in the channel", exc.status)
        if thread is None:
            await self._answer(message, text, message.channel.id, "mention", reply=True, answer=answer)
        else:
            await self._answer(message, text, thread.id, "thread", reply=False, target=thread, answer=answer)

    async def _existing_thread(self, message: discord.Message) -> discord.Thread | None:
        """The thread started from `message` (it has the message's id), from the cache or from Discord."""
        guild = message.guild
        cached = guild.get_thread(message.id) if guild is not None else None
        if cached is not None:
            return cached
        try:
            channel = await self.bot.fetch_channel(message.id)
        except discord.HTTPException:
            return None
        return channel if isinstance(channel, discord.Thread) else None

    async def _answer(
        self,
        message: discord.Message,
        text: str,
        channel_id: int,
        kind: str,
        *,
        reply: bool,
        target: discord.abc.Messageable | None = None,
        answer: Answer | None = None,
    ) -> None:
        where = target or message.channel
        if answer is None:
            if self.bot.services.llm is not None:
                # only an LLM answer takes long enough to show "typing"; offline answers take milliseconds,
                # and a typing request must never cost the answer itself (it is best effort)
                self._typing(where)
            answer = await self.bot.services.answerer.answer(
                Question(customer_id=message.author.id, text=text, channel_id=channel_id, kind=kind)  # type: ignore[arg-type]
            )
        view = answer_view(answer.answer_id, offer_human=answer.offer_human)
        # the nonce makes a second process that takes this message over (see exts/claims.py) send nothing twice
        await send_parts(where, answer.parts, view=view, reference=message if reply else None, nonce=f"a{message.id}")
        await self._escalate_if_needed(answer, message.author, where)

    def _typing(self, where: discord.abc.Messageable) -> None:
        async def once() -> None:
            try:
                await where.typing()
            except discord.HTTPException:
                log.debug("typing indicator not sent")

        task = asyncio.get_running_loop().create_task(once())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _escalate_if_needed(
        self, answer: Answer, user: discord.abc.User, where: discord.abc.Messageable | None
    ) -> str | None:
        if answer.escalate is None:
            return None
        note = await hand_over(self.bot, user, answer.escalate)
        if where is not None:
            await where.send(note, allowed_mentions=NO_MENTIONS)
        return note

    async def _remove_device_id(self, message: discord.Message) -> None:
        log.info("removing a public message that contained a device ID (channel %s)", message.channel.id)
        try:
            await message.delete()
        except discord.HTTPException as exc:
            log.warning("could not delete a message with a device ID (%s)", exc.status)
        try:
            await message.author.send(HYGIENE_NOTICE, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            # the customer does not accept DMs: say it in the channel, without the number and without a ping
            await message.channel.send(
                f"{message.author.display_name}: {HYGIENE_NOTICE}", allowed_mentions=NO_MENTIONS
            )

    # -- slash commands -------------------------------------------------------------------------

    @app_commands.command(name="ask")
    @app_commands.describe(question="What would you like to know?")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000]) -> None:
        """Ask the support assistant a question (only you see the answer)."""
        ephemeral = interaction.guild is not None
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        answer = await self.bot.services.answerer.answer(
            Question(customer_id=interaction.user.id, text=question, channel_id=0, kind="slash")
        )
        view = answer_view(answer.answer_id, offer_human=answer.offer_human)
        await followup_parts(interaction, answer.parts, view=view, ephemeral=ephemeral)
        if answer.escalate is not None:
            await reply_interaction(interaction, await hand_over(self.bot, interaction.user, answer.escalate))


def _strip_mention(content: str, bot_id: int) -> str:
    return re.sub(rf"<@!?{bot_id}>", "", content).strip()


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Answers(bot))
