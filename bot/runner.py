"""Start the bot against Discord or any Discord-compatible server, turning failures into plain messages."""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.bot import SupportBot, bot_class, point_client_at
from bot.config import ConfigError, Settings
from bot.core.services import Services, build_services, resolve_device_key

log = logging.getLogger(__name__)


async def create_bot(
    settings: Settings, services: Services | None = None, *, guild_ready_timeout: float = 2.0
) -> SupportBot:
    """The bot exactly as `python -m bot run` builds it (tests and the sandbox use this too)."""
    if services is None:
        services = await build_services(settings, device_key=resolve_device_key(settings))
    point_client_at(settings)
    cls, sharding = bot_class(settings)
    return cls(settings, services, guild_ready_timeout=guild_ready_timeout, **sharding)


async def run_bot(settings: Settings) -> int:
    if settings.discord_token is None:
        raise ConfigError(
            "Setting DISCORD_TOKEN is not set: put the bot token from the Discord developer portal "
            "(or run `python -m bot sandbox` to try the bot locally without one)."
        )
    services = await build_services(settings, device_key=resolve_device_key(settings))
    bot = await create_bot(settings, services)
    try:
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        raise ConfigError("Setting DISCORD_TOKEN was refused by Discord: put a valid bot token.") from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(
            "Discord refused the Message Content intent: enable it for the bot in the developer portal "
            "(Bot > Privileged Gateway Intents)."
        ) from None
    except (aiohttp.ClientConnectionError, OSError) as exc:
        raise ConfigError(
            f"Cannot reach Discord at {settings.discord_api_base} ({exc}): check DISCORD_API_BASE, "
            "DISCORD_GATEWAY_URL and the network."
        ) from None
    finally:
        await services.close()
    return 0
