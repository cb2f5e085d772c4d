"""Staff modals and confirm buttons. Every callback checks staff membership again, server-side."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core.kv import Kv
from bot.ui.notices import status_embed
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

STAFF_ONLY = "This is for support staff only."


def bot_of(interaction: discord.Interaction) -> SupportBot:
    return cast("SupportBot", interaction.client)


def is_staff(bot: SupportBot, user: discord.abc.User | discord.Member) -> bool:
    staff = set(bot.settings.staff_role_ids)
    return bool(staff) and any(r.id in staff for r in getattr(user, "roles", []))


async def require_staff(interaction: discord.Interaction, action: str) -> bool:
    bot = bot_of(interaction)
    if is_staff(bot, interaction.user):
        return True
    await bot.services.audit.record(interaction.user.id, "denied", command=action)
    await reply_interaction(interaction, STAFF_ONLY)
    return False


# -- manual status post: modal -> preview -> confirm --------------------------------------------------


class StatusPostModal(discord.ui.Modal, title="Post a status update"):
    incident: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="Incident title", max_length=200, placeholder="e.g. Contacts and photos unavailable"
    )
    body: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="What changed", style=discord.TextStyle.paragraph, max_length=3000
    )

    def __init__(self, state: str, default_title: str | None) -> None:
        super().__init__()
        self.state = state
        if default_title:
            self.incident.default = default_title[:200]

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        draft_id = uuid.uuid4().hex[:16]
        draft = {"title": self.incident.value.strip(), "state": self.state, "body": self.body.value.strip()}
        async with bot.services.db.transaction() as session:
            await Kv.put(session, f"draft:{draft_id}", json.dumps(draft))
        preview = status_embed(
            {
                "incident": draft["title"],
                "state": self.state,
                "body": draft["body"],
                "progress": {},
                "published_at": discord.utils.utcnow().isoformat(),
            }
        )
        view = discord.ui.View(timeout=None)
        view.add_item(StatusPostConfirm(draft_id))
        await reply_interaction(
            interaction,
            "Preview: press **Post it** to publish this in the status channel and to subscribers.",
            embed=preview,
            view=view,
        )


class StatusPostConfirm(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sp:(?P<draft>[0-9a-f]{16})"):
    def __init__(self, draft_id: str) -> None:
        super().__init__(
            discord.ui.Button(label="Post it", style=discord.ButtonStyle.danger, custom_id=f"sp:{draft_id}")
        )
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> StatusPostConfirm:
        return cls(match["draft"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "status.post"):
            return
        bot = bot_of(interaction)
        async with bot.services.db.sessions() as session:
            raw = await Kv.get(session, f"draft:{self.draft_id}")
        if raw is None:
            await reply_interaction(
                interaction, "That draft no longer exists; write it again with `/admin status post`."
            )
            return
        draft = json.loads(raw)
        posted = await bot.services.status.manual_post(
            self.draft_id, title=draft["title"], state=draft["state"], body=draft["body"]
        )
        if posted:
            await bot.services.audit.record(
                interaction.user.id, "status.post", title=draft["title"], state=draft["state"]
            )
            await reply_interaction(interaction, "Posted. It goes to the status channel and to subscribers now.")
        else:
            await reply_interaction(interaction, "This update was already posted; nothing was sent twice.")


# -- FAQ ----------------------------------------------------------------------------------------------


class FaqModal(discord.ui.Modal):
    question: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(label="Question", max_length=300)
    answer: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
        label="Answer", style=discord.TextStyle.paragraph, max_length=4000
    )
    keywords: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
        label="Keywords (comma-separated, optional)", required=False, max_length=300
    )

    def __init__(self, key: str | None = None, *, question: str = "", answer: str = "", keywords: str = "") -> None:
        super().__init__(title="Edit FAQ entry" if key else "Add FAQ entry")
        self.key = key
        self.question.default = question[:300] or None
        self.answer.default = answer[:4000] or None
        self.keywords.default = keywords[:300] or None

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "faq.edit" if self.key else "faq.add"):
            return
        bot = bot_of(interaction)
        keywords = [k.strip() for k in self.keywords.value.split(",") if k.strip()]
        if self.key is None:
            entry = await bot.services.faq.add(interaction.user.id, self.question.value, self.answer.value, keywords)
            await bot.services.audit.record(interaction.user.id, "faq.add", key=entry.key)
            await reply_interaction(interaction, f"Added FAQ entry `{entry.key}`; it is used from the next question.")
        else:
            entry = await bot.services.faq.edit(
                interaction.user.id,
                self.key,
                question=self.question.value,
                answer=self.answer.value,
                keywords=keywords,
            )
            await bot.services.audit.record(interaction.user.id, "faq.edit", key=entry.key)
            await reply_interaction(
                interaction, f"Updated `{entry.key}`. Answers that used the old text will not be reused."
            )

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        from bot.exts.errors import user_message

        await reply_interaction(interaction, user_message(error))


# -- broadcasts ---------------------------------------------------------------------------------------


class BroadcastModal(discord.ui.Modal, title="Broadcast a message"):
    text: discord.ui.TextInput[BroadcastModal] = discord.ui.TextInput(
        label="Message (sent by direct message)", style=discord.TextStyle.paragraph, max_length=4000
    )

    def __init__(self, audience: str) -> None:
        super().__init__()
        self.audience = audience

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "broadcast"):
            return
        bot = bot_of(interaction)
        draft = await bot.services.broadcasts.draft(interaction.user.id, self.audience, self.text.value)
        view = discord.ui.View(timeout=None)
        view.add_item(BroadcastButton("send", draft.id))
        view.add_item(BroadcastButton("cancel", draft.id))
        await reply_interaction(
            interaction,
            f"Broadcast #{draft.id} will reach **{draft.recipients}** people. Preview:\n\n>>> {draft.text[:1500]}",
            view=view,
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        from bot.exts.errors import user_message

        await reply_interaction(interaction, user_message(error))


class BroadcastButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bc:(?P<action>send|cancel):(?P<id>[0-9]{1,12})"
):
    def __init__(self, action: str, broadcast_id: int) -> None:
        label = "Send it" if action == "send" else "Cancel broadcast"
        style = discord.ButtonStyle.danger if action == "send" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"bc:{action}:{broadcast_id}"))
        self.action = action
        self.broadcast_id = broadcast_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> BroadcastButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, f"broadcast.{self.action}"):
            return
        bot = bot_of(interaction)
        broadcasts = bot.services.broadcasts
        if self.action == "cancel":
            b = await broadcasts.cancel(self.broadcast_id)
            await bot.services.audit.record(interaction.user.id, "broadcast.cancel", id=b.id)
            await reply_interaction(
                interaction, f"Broadcast #{b.id} is {b.status}; {b.counts.get('sent', 0)} had already been sent."
            )
            return
        before = await broadcasts.get(self.broadcast_id)
        b = await broadcasts.confirm(self.broadcast_id)
        if before.status != "draft":
            await reply_interaction(interaction, f"Broadcast #{b.id} is already {b.status}; nothing was sent twice.")
            return
        await bot.services.audit.record(interaction.user.id, "broadcast.send", id=b.id, recipients=b.recipients)
        view = discord.ui.View(timeout=None)
        view.add_item(BroadcastButton("cancel", b.id))
        await reply_interaction(
            interaction,
            f"Sending broadcast #{b.id} to {b.recipients} people. Progress and the final report go to the staff "
            "channel.",
            view=view,
        )


def when(dt: datetime | None) -> str:
    return discord.utils.format_dt(dt, "R") if dt else "never"


ADMIN_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (StatusPostConfirm, BroadcastButton)
