"""Every persistent component, registered once at start so its buttons keep working after a restart.

A component added to a feature module must be listed here too, or its buttons stop answering after a restart.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.exts.admin.broadcast import BroadcastButton
from bot.exts.admin.status import StatusPostConfirm
from bot.exts.feedback import FeedbackButton
from bot.exts.handover import ClaimButton, HumanButton, ReopenButton
from bot.exts.privacy import DeleteButton
from bot.exts.status import SubscribeButton

PERSISTENT_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    FeedbackButton,
    HumanButton,
    SubscribeButton,
    DeleteButton,
    StatusPostConfirm,
    BroadcastButton,
    ReopenButton,
    ClaimButton,
)
