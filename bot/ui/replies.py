"""Sending helpers: every send sets allowed_mentions explicitly, and each interaction is answered once."""

from __future__ import annotations

from collections.abc import Sequence

import discord

NO_MENTIONS = discord.AllowedMentions.none()


async def reply_interaction(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer an interaction: the initial response if there is none yet, else a followup."""
    missing = discord.utils.MISSING
    if interaction.response.is_done():
        await interaction.followup.send(
            content if content is not None else missing,
            embed=embed or missing,
            view=view or missing,
            file=file or missing,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
    else:
        await interaction.response.send_message(
            content,
            embed=embed or missing,
            view=view or missing,
            file=file or missing,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )


async def send_parts(
    target: discord.abc.Messageable,
    parts: Sequence[str],
    *,
    view: discord.ui.View | None = None,
    reference: discord.Message | None = None,
    nonce: str | None = None,
) -> list[discord.Message]:
    """Send an answer already split under 2000 characters; the view goes on the last part.

    With a `nonce` (at most 22 characters), sending the same answer again returns the messages already
    sent instead of posting them twice (Discord's enforce_nonce): for a second process taking over."""
    sent = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        once = f"{nonce}.{i}" if nonce is not None else discord.utils.MISSING
        if i == 0 and reference is not None:
            msg = await target.send(
                part,
                nonce=once,
                allowed_mentions=NO_MENTIONS,
                reference=reference,
                mention_author=False,
                view=view if last and view is not None else discord.utils.MISSING,
            )
        else:
            msg = await target.send(
                part,
                nonce=once,
                allowed_mentions=NO_MENTIONS,
                view=view if last and view is not None else discord.utils.MISSING,
            )
        sent.append(msg)
    return sent


async def followup_parts(
    interaction: discord.Interaction, parts: Sequence[str], *, view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await interaction.followup.send(
            part,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            view=view if last and view is not None else discord.utils.MISSING,
        )
