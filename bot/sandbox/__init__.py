"""A Discord-compatible local server (REST + gateway) and a driver API, for end-to-end tests.

It is "a Discord": the bot reaches it only over the wire; nothing here imports the bot.
"""

from bot.sandbox import permissions
from bot.sandbox.driver import DEFAULT_BOT_PERMISSIONS, Driver, InteractionHandle, SandboxError
from bot.sandbox.events import Event, RequestRecord
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import Channel, Guild, Member, Message, Pings, Role, User

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "Channel",
    "Driver",
    "Event",
    "Guild",
    "InteractionHandle",
    "Member",
    "Message",
    "Pings",
    "RequestRecord",
    "Role",
    "SandboxError",
    "SandboxServer",
    "User",
    "permissions",
]
