"""The staff check, server-side: on commands, on every staff form submitted and every staff button pressed."""

from __future__ import annotations

from typing import Any

from bot.exts.checks import STAFF_ONLY
from bot.sandbox import InteractionHandle, Message
from tests.e2e.conftest import StartBot, World
from tests.helpers import buttons
from tests.sandbox.conftest import BotRunner


async def open_form(
    runner: BotRunner, world: World, command: str, options: dict[str, Any] | None = None
) -> tuple[InteractionHandle, list[str]]:
    # in #general, which staff still see after losing the role (unlike #staff)
    opened = await world.driver.run_slash(world.jordan, command, options, channel=world.general)
    form = await runner.wait(opened.wait_modal())
    return opened, [row["components"][0]["custom_id"] for row in form["components"]]


async def submit(
    runner: BotRunner, world: World, opened: InteractionHandle, ids: list[str], values: list[str]
) -> Message:
    submitted = await world.driver.submit_modal(world.jordan, opened, dict(zip(ids, values, strict=False)))
    return await runner.wait(submitted.wait_message())


async def test_with_no_staff_roles_configured_nobody_is_staff(world: World, start_bot: StartBot) -> None:
    runner = await start_bot(staff_role_ids=[])
    services = runner.bot.services  # type: ignore[attr-defined]
    handle = await world.driver.run_slash(world.jordan, "admin status pause", channel=world.staff)
    assert (await runner.wait(handle.wait_message())).content == STAFF_ONLY
    assert (await services.status.health()).paused is False
    [denied] = await services.audit.latest(5)
    assert (denied.action, denied.args) == ("denied", {"command": "admin status pause"})


async def test_staff_who_lose_the_role_can_no_longer_submit_or_confirm(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    await services.status.subscribe(world.alice.id)
    # as staff: a status preview and a broadcast preview, each with its confirm button, and three open forms
    opened, ids = await open_form(runner, world, "admin status post", {"state": "recovering"})
    preview = await submit(runner, world, opened, ids, ["Contacts unavailable", "Restoring from backup."])
    opened, ids = await open_form(runner, world, "admin broadcast", {"audience": "subscribers"})
    broadcast = await submit(runner, world, opened, ids, ["Contacts are back."])
    forms = [
        (await open_form(runner, world, "admin status post", {"state": "monitoring"}), ["Title", "Body"]),
        (await open_form(runner, world, "admin broadcast", {"audience": "devices"}), ["Hello"]),
        (await open_form(runner, world, "admin faq add"), ["Is Canada affected?", "Yes.", "canada"]),
    ]

    world.guild.members[world.jordan.id].role_ids.remove(world.staff_role.id)  # no longer staff

    refused = []
    for (opened, ids), values in forms:
        refused.append(await submit(runner, world, opened, ids, values))
    for message, label in ((preview, "Post it"), (broadcast, "Send it"), (broadcast, "Cancel broadcast")):
        clicked = await d.click(world.jordan, message, buttons(message)[label])
        refused.append(await runner.wait(clicked.wait_message()))
    assert [m.content for m in refused] == [STAFF_ONLY] * 6
    assert not d.bot_messages(world.status) and not d.bot_messages(d.dm_channel(world.alice))
    assert (await services.broadcasts.get(1)).status == "draft"
    assert services.knowledge.get("is-canada-affected") is None
    denied = [e.args["command"] for e in reversed(await services.audit.latest(20)) if e.action == "denied"]
    assert denied == ["status.post", "broadcast", "faq.add", "status.post", "broadcast.send", "broadcast.cancel"]
