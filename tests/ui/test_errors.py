"""What a person is told when their command, form or button fails."""

from __future__ import annotations

import logging

import discord
import pytest
from discord import app_commands

from bot.core.devices import InvalidDeviceId
from bot.core.errors import DatabaseUnavailable
from bot.ui.errors import GENERIC, user_message


@app_commands.command(name="ping")
async def ping(interaction: discord.Interaction) -> None:
    """A command for errors to be raised in."""


def test_a_domain_error_is_told_as_it_is_even_when_discord_wrapped_it() -> None:
    invalid = InvalidDeviceId("That IMEI has 14 digits; an IMEI has 15.", "length")
    assert user_message(app_commands.CommandInvokeError(ping, invalid)) == "That IMEI has 14 digits; an IMEI has 15."
    down = DatabaseUnavailable("We can't save that right now; please try again in a few minutes.")
    assert user_message(down) == str(down)  # a form's on_error gets the error itself


def test_a_domain_error_behind_another_is_found_through_its_cause() -> None:
    try:
        try:
            raise DatabaseUnavailable("Please try again in a few minutes.")
        except DatabaseUnavailable as inner:
            raise RuntimeError("pool exhausted") from inner
    except RuntimeError as outer:
        assert user_message(outer) == "Please try again in a few minutes."


def test_discord_refusals_have_their_own_words() -> None:
    assert "not in direct messages" in user_message(app_commands.NoPrivateMessage())
    assert user_message(app_commands.CheckFailure("The check functions for command 'x' failed.")) == (
        "You can't use this command here."
    )
    cooldown = app_commands.CommandOnCooldown(app_commands.Cooldown(1, 30.0), 12.4)
    assert user_message(cooldown) == "Please wait 12 seconds before trying again."


def test_anything_else_is_an_apology_without_internals_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    secret = RuntimeError("connection to db.internal:5432 refused, password=hunter2")
    with caplog.at_level(logging.ERROR, logger="bot.ui.errors"):
        text = user_message(app_commands.CommandInvokeError(ping, secret))
    assert text == GENERIC and "hunter2" not in text
    assert [r.exc_info[1] for r in caplog.records if r.exc_info] == [secret]
