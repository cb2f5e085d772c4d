"""Surge mode in the support channels: identical questions answered once in public, staff told once.

The Answers cog asks `take()` before opening a thread for a question in a support channel. In a surge
(bot/core/surge.py decides, from how long requests queue in bot/pacing), an FAQ answer goes into the
channel's "What we know" post (pinned, edited in place) instead of a thread of its own; anything else (no
FAQ answer, a hand-over, a post already full) goes back to the Answers cog, which answers it one to one,
replying in the channel when threads are what is queueing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.core.answering import Answer, Question
from bot.core.surge import PublicDigest, SurgeDetector, slow_mode_notice
from bot.ui.replies import NO_MENTIONS

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)

EDIT_EVERY = 1.2  # seconds between edits of the post (Discord allows about 5 edits per 5 s per channel)
ACK = "\N{PUSHPIN}"  # reacted on a question the post answers, when the channel's reaction budget is free


def thread_route(channel_id: int) -> discord.http.Route:
    return discord.http.Route("POST", "/channels/{channel_id}/messages/{message_id}/threads",
                              channel_id=channel_id, message_id=0)


def message_route(channel_id: int) -> discord.http.Route:
    return discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)


def reaction_route(channel_id: int) -> discord.http.Route:
    return discord.http.Route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                              channel_id=channel_id, message_id=0, emoji=ACK)


class Surge(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        settings = bot.settings
        self.detector = SurgeDetector(
            queued_threshold=settings.surge_queued_requests,
            wait_threshold=settings.surge_thread_wait_seconds,
            calm=settings.surge_calm_seconds,
        )
        self.digests: dict[int, PublicDigest] = {}
        self.posts: dict[int, discord.Message] = {}
        self._editors: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()
        self._asked: deque[float] = deque()
        self._told_staff = 0  # the surge (detector.started) staff were last told about
        self._background: set[asyncio.Task[None]] = set()

    def active(self, channel_id: int) -> bool:
        """Note one more question in this support channel; True if it is to be handled as in a surge."""
        mode = self.bot.settings.surge_mode
        now = asyncio.get_running_loop().time()
        self._asked.append(now)
        while self._asked and now - self._asked[0] > 60:
            self._asked.popleft()
        if mode == "off":
            return False
        pacing = self.bot.pacing
        if mode == "auto" and pacing is None:
            return False
        thread_wait = pacing.wait(thread_route(channel_id)) if pacing is not None else 0.0
        queued = pacing.queued if pacing is not None else 0
        active = self.detector.observe(now, queued=queued, thread_wait=thread_wait) or mode == "always"
        if active and self.detector.started > self._told_staff:
            self._told_staff = self.detector.started
            self._spawn(self._tell_staff(channel_id))
        return active

    def prefer_reply(self, channel_id: int) -> bool:
        """Threads are queueing and a plain reply in the channel would not."""
        pacing = self.bot.pacing
        return (pacing is not None and pacing.hot(thread_route(channel_id))
                and not pacing.hot(message_route(channel_id)))

    async def take(self, message: discord.Message, text: str) -> Answer | None:
        """Answer in the channel's public post if the answer is an FAQ entry (None: done); else the answer,
        for the caller to deliver one to one."""
        answer = await self.bot.services.answerer.answer(
            Question(customer_id=message.author.id, text=text, channel_id=message.channel.id, kind="thread")
        )
        if not answer.answered or answer.escalate is not None or not answer.faq_keys:
            return answer
        key = answer.faq_keys[0]
        entry = self.bot.services.knowledge.get(key)
        digest = self.digests.setdefault(message.channel.id, PublicDigest())
        if digest.add(key, entry.question if entry is not None else key, answer.text):
            self._dirty.add(message.channel.id)
            self._edit_soon(message.channel)
        if not digest.covers(key):
            return answer
        pacing = self.bot.pacing
        if pacing is not None and not pacing.hot(reaction_route(message.channel.id)):
            self._spawn(self._acknowledge(message))
        return None

    # -- the post -----------------------------------------------------------------------------------
    def _edit_soon(self, channel: discord.abc.Messageable) -> None:
        cid = getattr(channel, "id", 0)
        task = self._editors.get(cid)
        if task is None or task.done():
            self._editors[cid] = asyncio.get_running_loop().create_task(self._keep_post(channel, cid))

    async def _keep_post(self, channel: discord.abc.Messageable, cid: int) -> None:
        while cid in self._dirty:
            self._dirty.discard(cid)
            content = self.digests[cid].render()
            try:
                post = self.posts.get(cid)
                if post is None:
                    post = self.posts[cid] = await channel.send(content, allowed_mentions=NO_MENTIONS)
                    try:
                        await post.pin(reason="surge: answers to the most asked questions")
                    except discord.HTTPException as exc:
                        log.warning("could not pin the surge post (%s)", exc.status)
                else:
                    await post.edit(content=content, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.exception("could not update the surge post in channel %s", cid)
            await asyncio.sleep(EDIT_EVERY)

    async def _acknowledge(self, message: discord.Message) -> None:
        with contextlib.suppress(discord.HTTPException):
            await message.add_reaction(ACK)

    async def _tell_staff(self, channel_id: int) -> None:
        staff = self.bot.settings.staff_channel_id
        channel = self.bot.get_channel(staff) if staff else None
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("surge in channel %s; no staff channel to suggest slow mode in", channel_id)
            return
        try:
            await channel.send(slow_mode_notice(f"<#{channel_id}>", len(self._asked)), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not tell staff about the surge")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def cog_unload(self) -> None:
        for task in (*self._editors.values(), *self._background):
            task.cancel()


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Surge(bot))
