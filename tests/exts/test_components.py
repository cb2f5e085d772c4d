"""Every persistent component is registered: a button missing from the list stops answering after a restart."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import discord

import bot.exts
from bot.exts.components import PERSISTENT_ITEMS


def _subclasses(cls: type[Any]) -> set[type[Any]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _name(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_dynamic_item_in_the_bot_is_registered() -> None:
    for module in pkgutil.walk_packages(bot.exts.__path__, "bot.exts."):
        importlib.import_module(module.name)
    # compared by name: loading an extension executes its module again, so a class can exist twice
    defined = {_name(c) for c in _subclasses(discord.ui.DynamicItem) if c.__module__.startswith("bot.")}
    registered = {_name(c) for c in PERSISTENT_ITEMS}
    assert len(defined) >= 6
    assert registered == defined

