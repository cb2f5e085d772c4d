"""The review queue for shared devices and statistics that do not flatter, through the sandbox."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.core.chart import COLOURS, series_from_png
from bot.sandbox import Message
from tests.e2e.conftest import StartBot, World
from tests.helpers import IMEI, buttons
from tests.sandbox.conftest import BotRunner


async def slash(
    runner: BotRunner, world: World, user: Any, command: str, options: dict[str, Any] | None = None
) -> Message:
    channel = world.staff if user is world.jordan else world.support
    handle = await world.driver.run_slash(user, command, options, channel=channel)
    return await runner.wait(handle.wait_message())


async def register(runner: BotRunner, world: World, user: Any, device: str) -> None:
    d = world.driver
    opened = await d.run_slash(user, "device register", channel=world.support)
    form = await runner.wait(opened.wait_modal())
    field = form["components"][0]["components"][0]["custom_id"]
    done = await d.submit_modal(user, opened, {field: device})
    await runner.wait(done.wait_message())


async def erase(runner: BotRunner, world: World, user: Any) -> None:
    confirm = await slash(runner, world, user, "privacy delete")
    done = await world.driver.click(user, confirm, buttons(confirm)["Yes, delete everything"])
    await runner.wait(done.wait_message())


async def test_staff_resolve_a_shared_device_and_the_other_claimant_is_told(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    assert "No device needs review" in (await slash(runner, world, world.jordan, "admin devices review")).content
    await register(runner, world, world.alice, IMEI)
    await register(runner, world, world.bob, IMEI)
    exported = await slash(runner, world, world.jordan, "admin devices export")
    rows = list(csv.DictReader(io.StringIO(d.attachment_bytes(exported).decode())))
    assert [(r["username"], r["device_id"], r["needs_review"]) for r in rows] == [
        ("alice", f'="{IMEI}"', "yes"),
        ("bob", f'="{IMEI}"', "yes"),
    ]
    count = await slash(runner, world, world.jordan, "admin devices count")
    assert "2 registrations from 2 customers" in count.content and "2 registrations need review" in count.content
    queue = await slash(runner, world, world.jordan, "admin devices review")
    assert "**IMEI ****7518**, claimed by 2 customers:" in queue.content and IMEI not in queue.content
    assert f"registration 1: <@{world.alice.id}>" in queue.content
    assert f"registration 2: <@{world.bob.id}>" in queue.content and queue.pings.empty
    kept = await slash(runner, world, world.jordan, "admin devices resolve", {"registration": 2, "keep": "this"})
    assert f"now belongs to <@{world.bob.id}> only" in kept.content and "1 customer told by DM" in kept.content
    told = await runner.wait(d.wait_for_message(channel=d.dm_channel(world.alice)))
    assert "****7518 was removed" in told.content and IMEI not in told.content
    assert "No device needs review" in (await slash(runner, world, world.jordan, "admin devices review")).content
    audit = await slash(runner, world, world.jordan, "admin audit")
    assert "devices.resolve (registration 2, keep this)" in audit.content


async def test_the_flag_clears_when_the_other_claimant_erases_their_data(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    await register(runner, world, world.alice, IMEI)
    await register(runner, world, world.bob, IMEI)
    assert "claimed by 2 customers" in (await slash(runner, world, world.jordan, "admin devices review")).content
    await erase(runner, world, world.alice)
    assert "No device needs review" in (await slash(runner, world, world.jordan, "admin devices review")).content
    found = await slash(runner, world, world.jordan, "admin devices lookup", {"customer": world.bob})
    assert "needs review" not in found.content and "****7518" in found.content


async def test_statistics_are_honest_and_survive_an_erasure(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    fresh = await slash(runner, world, world.jordan, "admin stats")
    assert "Resolved without staff: n/a" in fresh.content and "0%" not in fresh.content
    assert "Registrations: 0 devices from 0 customers" in fresh.content
    await register(runner, world, world.alice, IMEI)
    for who, question in ((world.alice, "is my data lost?"), (world.bob, "what happened?")):
        said = await d.user_says(who, "dm", question)
        await runner.wait(d.wait_for_message(after=said))
    before = await slash(runner, world, world.jordan, "admin stats")
    assert "Registrations: 1 device from 1 customer" in before.content
    assert "Questions: 2 " in before.content
    assert "Resolved without staff: n/a" in before.content  # answered seconds ago: too early to tell
    chart = series_from_png(d.attachment_bytes(before))
    assert chart["unit"] == "hour" and sum(chart["questions"]) == 2 and sum(chart["registrations"]) == 1

    await erase(runner, world, world.alice)
    after = await slash(runner, world, world.jordan, "admin stats")
    assert "Registrations: 1 device from 1 customer" in after.content and "Questions: 2 " in after.content
    assert series_from_png(d.attachment_bytes(after))["questions"] == chart["questions"]
    assert set(COLOURS) <= set(chart)
