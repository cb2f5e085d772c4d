"""`/admin`: staff tools, one cog per area under one `/admin` command (see base.py for how they share it).

Hidden by default permissions AND checked against STAFF_ROLE_IDS on every use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.admin.base import AdminCog, admin_group
from bot.exts.admin.broadcast import BroadcastTools
from bot.exts.admin.devices import DeviceTools
from bot.exts.admin.faq import FaqTools
from bot.exts.admin.reports import ReportTools
from bot.exts.admin.status import StatusTools
from bot.exts.admin.tickets import TicketTools

if TYPE_CHECKING:
    from bot.bot import SupportBot

# in the order Discord lists them under /admin
AREAS: tuple[type[AdminCog], ...] = (StatusTools, DeviceTools, FaqTools, TicketTools, BroadcastTools, ReportTools)


async def setup(bot: SupportBot) -> None:
    admin = admin_group()  # one per bot: two bots in one process (tests) must not share it
    for area in AREAS:
        cog = area(bot)
        cog.attach(admin)
        # every cog adds the same /admin root to the tree; override says that is intended
        await bot.add_cog(cog, override=True)


async def teardown(bot: SupportBot) -> None:
    bot.tree.remove_command("admin")
