"""A small, convincing world for trying the bot locally: a support server with customers and a staff member."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox import permissions as P
from bot.sandbox.driver import Driver
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import Channel, Guild, Role, User

#: What the bot's managed role may do in the demo guild: everything the product needs and nothing more
#: (no @everyone pings). MANAGE_THREADS lets it add the customer to a non-invitable private hand-over thread.
DEMO_BOT_PERMISSIONS = (
    P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES | P.MANAGE_MESSAGES
    | P.CREATE_PUBLIC_THREADS | P.CREATE_PRIVATE_THREADS | P.SEND_MESSAGES_IN_THREADS | P.MANAGE_THREADS
    | P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS | P.USE_EXTERNAL_EMOJIS
)

#: The staff role: moderators of the support server (they can see private hand-over threads).
STAFF_PERMISSIONS = P.MANAGE_MESSAGES | P.MANAGE_THREADS

_NO_POSTING = (P.SEND_MESSAGES | P.SEND_MESSAGES_IN_THREADS | P.CREATE_PUBLIC_THREADS | P.CREATE_PRIVATE_THREADS
               | P.ADD_REACTIONS)
_BOT_POSTING = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY


@dataclass
class DemoWorld:
    """The objects of the demo guild, and the settings that point the bot at it."""

    server: SandboxServer
    guild: Guild
    support: Channel
    status: Channel
    staff: Channel
    staff_role: Role
    bot_role: Role
    alex: User  # customer, accepts DMs
    sam: User  # customer, does not accept DMs
    jordan: User  # support staff

    @property
    def driver(self) -> Driver:
        return self.server.driver

    @property
    def users(self) -> dict[str, User]:
        """The people one can act as, by username."""
        return {u.username: u for u in (self.alex, self.sam, self.jordan)}

    @property
    def channels(self) -> dict[str, Channel]:
        """The guild's text channels, by name."""
        return {str(c.name): c for c in (self.support, self.status, self.staff)}

    def settings_env(self) -> dict[str, str]:
        """The environment the bot needs to run against this world (merge it into its settings)."""
        return {
            "DISCORD_API_BASE": self.server.api_base,
            "DISCORD_GATEWAY_URL": self.server.gateway_url,
            "DISCORD_TOKEN": self.server.token,
            "GUILD_ID": str(self.guild.id),
            "SUPPORT_CHANNEL_IDS": str(self.support.id),
            "STATUS_CHANNEL_ID": str(self.status.id),
            "STAFF_CHANNEL_ID": str(self.staff.id),
            "STAFF_ROLE_IDS": str(self.staff_role.id),
        }


async def build_demo_world(driver: Driver) -> DemoWorld:
    """Create guild "Larkspur Support" with #support, #status (read-only for customers), #staff (staff only),
    a "Support Staff" role and three people: alex and sam (customers; sam refuses DMs) and jordan (staff)."""
    alex = driver.create_user("alex")
    sam = driver.create_user("sam", accepts_dms=False)
    jordan = driver.create_user("jordan")
    guild = await driver.create_guild("Larkspur Support", bot_permissions=DEMO_BOT_PERMISSIONS)
    everyone = driver.everyone_role(guild)
    bot_role = driver.bot_role(guild)
    staff_role = await driver.create_role(guild, "Support Staff", STAFF_PERMISSIONS, mentionable=True)
    await driver.add_member(guild, alex)
    await driver.add_member(guild, sam)
    await driver.add_member(guild, jordan, roles=[staff_role])
    support = await driver.create_text_channel(
        guild, "support", topic="Ask us anything about the data-loss incident. We answer in a thread.")
    status = await driver.create_text_channel(
        guild, "status", topic="Official incident updates.",
        overwrites={everyone: (0, _NO_POSTING), bot_role: (_BOT_POSTING, 0), staff_role: (P.SEND_MESSAGES, 0)})
    staff = await driver.create_text_channel(
        guild, "staff", topic="Support team only: hand-overs and exports.",
        overwrites={everyone: (0, P.VIEW_CHANNEL),
                    staff_role: (P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY, 0),
                    bot_role: (_BOT_POSTING, 0)})
    driver.server.world.ids.unpin()  # what happens from now on gets ids from the clock
    return DemoWorld(server=driver.server, guild=guild, support=support, status=status, staff=staff,
                     staff_role=staff_role, bot_role=bot_role, alex=alex, sam=sam, jordan=jordan)


__all__ = ["DEMO_BOT_PERMISSIONS", "DemoWorld", "build_demo_world"]
