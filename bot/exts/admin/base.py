"""What every `/admin` cog shares: the one `/admin` parent, the staff check and the audit record.

Discord lists `/admin` as one command, but each area (status, devices, FAQ, ...) is its own cog. discord.py
does not split an app-command group across cogs, so `setup` builds the parent once per bot and each cog
attaches its own commands to it (`AdminCog.attach`). A cog's commands stay bound to the cog, so the cog's
`interaction_check` runs before every one of them: it refuses anyone without a staff role, then records the
command in the audit log, once, here, before the command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.checks import require_staff

if TYPE_CHECKING:
    from bot.bot import SupportBot
    from bot.core.services import Services

# Left out of the audit log: commands that only open a form (the form's submission or confirm button is
# audited instead), the FAQ listing (public text) and reading the audit log itself.
NOT_AUDITED: dict[str, bool] = {"audited": False}


def admin_group() -> app_commands.Group:
    """`/admin`, hidden from non-staff by default permissions (Discord-side; the check here is what counts)."""
    return app_commands.Group(
        name="admin",
        description="Support staff tools",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        default_permissions=discord.Permissions(manage_messages=True),
    )


def audit_entry(
    command: app_commands.Command[Any, ..., Any], namespace: app_commands.Namespace
) -> tuple[str, int | None, dict[str, Any]]:
    """(action, subject, arguments) for the audit log: `admin devices lookup` is recorded as `devices.lookup`.

    A customer given as an argument becomes the entry's subject (so erasing that customer finds it), not an
    argument; options left out are recorded with their defaults. AuditLog masks device IDs in the arguments.
    """
    action = command.qualified_name.removeprefix("admin ").replace(" ", ".")
    subject_id: int | None = None
    args: dict[str, Any] = {}
    for param in command.parameters:
        value = param.default  # a Namespace is not a dict: it answers None for any missing name
        if param.display_name in namespace:
            value = namespace[param.display_name]
        if param.type is discord.AppCommandOptionType.user:
            if value is not None:
                subject_id = value.id
            continue
        args[param.name] = value
    return action, subject_id, args


class AdminCog(commands.Cog):
    """An area of `/admin`: staff-only, audited, attached under the shared parent."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def services(self) -> Services:
        return self.bot.services

    def attach(self, admin: app_commands.Group) -> None:
        """Put this cog's subgroup (or its commands) under `/admin`; call before `bot.add_cog`.

        An area with a subgroup is a GroupCog: on unload discord.py then removes a top-level command named
        after the cog, not after the group (a plain Cog holding a `status` group would take `/status` with it).
        """
        group = self.app_command
        for command in [group] if group is not None else self.get_app_commands():
            admin.add_command(command)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Discord's permission settings can be wrong: staff membership is checked here, every time."""
        command = interaction.command
        if not await require_staff(interaction, command.qualified_name if command else "admin"):
            return False
        if isinstance(command, app_commands.Command) and command.extras.get("audited", True):
            action, subject_id, args = audit_entry(command, interaction.namespace)
            await self.services.audit.record(interaction.user.id, action, subject_id, **args)
        return True


class AdminGroupCog(AdminCog, commands.GroupCog):
    """An area with its own subgroup, e.g. `/admin status ...` (its group name is given by the subclass)."""
