"""The buttons under an answer: "Helpful", "Not helpful", and (when the bot could not help) "Talk to a person".

They keep working after a restart: the custom_id carries everything the callback needs.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.exts.checks import bot_of
from bot.exts.claims import Claimed
from bot.exts.handover import HumanButton
from bot.ui.ids import parse_id
from bot.ui.replies import reply_interaction

STALE = "This button no longer works. Ask your question again if you still need help."


class FeedbackButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fb:(?P<answer>[0-9]{1,20}):(?P<v>[hn])"
):
    def __init__(self, answer_id: int, value: str) -> None:
        helpful = value == "h"
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
                custom_id=f"fb:{answer_id}:{value}",
            )
        )
        self.answer_id = answer_id
        self.value = value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeedbackButton:
        return cls(parse_id(match["answer"]) or 0, match["v"])  # 0: forged or garbled, told so below

    async def callback(self, interaction: discord.Interaction) -> None:
        if not self.answer_id:
            await reply_interaction(interaction, STALE)
            return
        bot = bot_of(interaction)
        value = "helpful" if self.value == "h" else "not_helpful"
        stored = await bot.services.conversations.feedback(self.answer_id, interaction.user.id, value)
        if not stored:
            await reply_interaction(interaction, "Only the person who asked can rate this answer.")
            return
        if value == "helpful":
            await reply_interaction(interaction, "Thanks, glad it helped!")
            return
        view = discord.ui.View(timeout=None)
        view.add_item(HumanButton("not_helpful"))
        await reply_interaction(
            interaction, "Sorry that didn't help. Would you like a member of our team to take a look?", view=view
        )


def answer_view(answer_id: int | None, *, offer_human: bool) -> discord.ui.View | None:
    if answer_id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton(answer_id, "h"))
    view.add_item(FeedbackButton(answer_id, "n"))
    if offer_human:
        view.add_item(HumanButton("unanswered"))
    return view
