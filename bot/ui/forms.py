"""Forms (modals) that belong to the person who opened them, for a limited time.

discord.py keeps an open modal in memory until it is submitted, and finds it by custom_id alone. A `Form`
expires after FORM_TTL (and is forgotten), and refuses a submission by anyone but its opener: open one with
`open_form(interaction, form)`, which records who that is.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.ui.replies import reply_interaction

log = logging.getLogger(__name__)

FORM_TTL = 30 * 60.0  # seconds; long enough to write a status update, short enough that forms do not pile up
NOT_YOURS = "This form belongs to someone else. Open your own with the command."


class Form(discord.ui.Modal):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", FORM_TTL)
        super().__init__(**kwargs)
        self.owner_id: int | None = None

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if self.owner_id is None:
            log.error("form %s was opened without open_form; refusing its submission", type(self).__name__)
        if interaction.user.id != self.owner_id:
            await reply_interaction(interaction, NOT_YOURS)
            return False
        return True


async def open_form(interaction: discord.Interaction, form: Form) -> None:
    form.owner_id = interaction.user.id
    await interaction.response.send_modal(form)
