"""A shift with hand-over tickets, through the sandbox: the staff notice, claiming and assigning, priority for
distress, the transcript, closing with a reason the customer is told, reopening, SLA reminders, and numbers
that an erasure never hands out again."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.sandbox import Channel, Message
from bot.sandbox import permissions as P
from tests.e2e.conftest import StartBot, World, eventually
from tests.helpers import IMEI, buttons, every_row_naming
from tests.sandbox.conftest import BotRunner


async def slash(
    runner: BotRunner, world: World, user: Any, command: str, options: dict[str, Any] | None = None
) -> Message:
    channel = world.staff if user is world.jordan else world.support
    handle = await world.driver.run_slash(user, command, options, channel=channel)
    return await runner.wait(handle.wait_message())


async def hand_over(runner: BotRunner, world: World, user: Any) -> Channel:
    """`/human` as `user`; returns the private thread the bot opened."""
    d = world.driver
    mark = d.cursor()
    handle = await d.run_slash(user, "human", channel=world.support)
    await runner.wait(handle.wait_message())
    created = await runner.wait(d.wait_for_event("thread_create", lambda e: e.data["private"], after=mark))
    return d.server.world.channels[created.data["channel_id"]]


async def test_a_ticket_from_opening_to_closing_and_reopening(world: World, start_bot: StartBot) -> None:
    world.staff_role.permissions |= P.MANAGE_THREADS  # staff see every private thread, as the README asks
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    await services.registry.register(world.alice.id, IMEI)
    thread = await hand_over(runner, world, world.alice)

    # staff are told in their channel, with a link to the thread and the summary
    notice = await runner.wait(d.wait_for_message(lambda m: "New ticket #1" in m.content, channel=world.staff))
    assert f"/channels/{world.guild.id}/{thread.id}" in notice.content
    assert "Why: the customer asked for a person." in notice.content and "IMEI ****7518" in notice.content
    assert IMEI not in notice.content and notice.pings.empty
    listed = await slash(runner, world, world.jordan, "admin tickets list")
    assert listed.content.startswith(f"#1 <@{world.alice.id}> (asked) opened")
    assert "**waiting 0 min**" in listed.content and "unclaimed" in listed.content

    # the conversation in the thread is kept as it happens; staff's reply stops the clock
    said = await d.user_says(world.alice, thread, f"my phone {IMEI} lost every photo")
    await d.user_says(world.jordan, thread, "Hi Alice, I'm Jordan; I'm checking your backup now.")

    async def both_kept() -> bool:
        return len(await services.handover.transcript(1)) == 2

    await eventually(both_kept)
    assert said.id
    claimed = await slash(runner, world, world.jordan, "admin tickets claim", {"ticket": 1})
    assert claimed.content == f"Ticket #1 is now <@{world.jordan.id}>'s in <#{thread.id}>."
    refused = await slash(runner, world, world.jordan, "admin tickets assign", {"ticket": 1, "member": world.bob})
    assert "is not in a staff role" in refused.content
    listed = await slash(runner, world, world.jordan, "admin tickets list")
    assert "· answered" in listed.content and f"claimed by <@{world.jordan.id}>" in listed.content
    transcript = await slash(runner, world, world.jordan, "admin tickets transcript", {"ticket": 1})
    text = d.attachment_bytes(transcript).decode()
    assert "customer" in text and "[device ID removed] lost every photo" in text and IMEI not in text
    assert "staff" in text and "checking your backup" in text

    # closing tells the customer why, by DM, with a button to reopen
    closed = await slash(
        runner, world, world.jordan, "admin tickets close", {"ticket": 1, "reason": "Photos restored from backup."}
    )
    assert "is closed" in closed.content and "told by DM" in closed.content
    # (the ID she typed in the thread was removed there too, and she was told why by DM: skip that notice)
    dm = await runner.wait(d.wait_for_message(lambda m: "ticket #1" in m.content, channel=d.dm_channel(world.alice)))
    assert "Reason: Photos restored from backup." in dm.content and dm.pings.empty
    reopen = buttons(dm)["I still need help: reopen"]
    stranger = await d.click(world.bob, dm, reopen)  # someone else's button press does nothing
    assert "can no longer be reopened" in (await runner.wait(stranger.wait_message())).content
    # after a restart, the button on that DM still works
    await runner.close()
    runner = await start_bot()
    pressed = await d.click(world.alice, dm, reopen)
    assert f"<#{thread.id}>" in (await runner.wait(pressed.wait_message())).content
    await runner.wait(d.wait_for_message(lambda m: "Ticket #1 was reopened" in m.content, channel=world.staff))
    assert (await runner.bot.services.handover.get(1)).status == "open"  # type: ignore[attr-defined]
    await slash(runner, world, world.jordan, "admin tickets close", {"ticket": 1})
    again = await runner.wait(
        d.wait_for_message(lambda m: "No reason was given" in m.content, channel=d.dm_channel(world.alice))
    )
    assert again.id != dm.id and buttons(again) == buttons(dm)


async def test_distress_is_high_priority_and_listed_first(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    await hand_over(runner, world, world.bob)
    await runner.wait(d.wait_for_message(lambda m: "New ticket #1" in m.content, channel=world.staff))
    dm = await d.user_says(world.alice, "dm", "HOW DARE YOU, I'm so upset, you lost my baby's photos")
    await runner.wait(d.wait_for_message(lambda m: "New ticket #2" in m.content, channel=world.staff, after=dm))
    notice = d.bot_messages(world.staff)[-1]
    assert notice.content.startswith("**High priority** (the customer seems upset). New ticket #2")
    claim = buttons(notice)["Claim"]  # staff take it from the notice itself
    await d.set_overwrite(world.staff, world.bob, allow=P.VIEW_CHANNEL)  # can see the channel, is not staff
    refused = await d.click(world.bob, notice, claim)
    assert "support staff only" in (await runner.wait(refused.wait_message())).content
    taken = await d.click(world.jordan, notice, claim)
    assert (await runner.wait(taken.wait_message())).content.startswith("Ticket #2 is now yours")
    services = runner.bot.services  # type: ignore[attr-defined]
    assert (await services.handover.get(2)).claimed_by == world.jordan.id
    assert [e.action for e in await services.audit.latest(2)] == ["tickets.claim", "denied"]
    await d.add_role(world.guild, world.bob, world.staff_role)  # a second staff member, a moment too late
    late = await d.click(world.bob, notice, claim)
    assert (await runner.wait(late.wait_message())).content.startswith(
        f"Ticket #2 is already <@{world.jordan.id}>'s. To hand it over: `/admin tickets assign"
    )
    listed = await slash(runner, world, world.jordan, "admin tickets list")
    first, second = listed.content.splitlines()
    assert first.startswith(f"#2 **HIGH** <@{world.alice.id}> (upset)") and second.startswith("#1 ")
    assigned = await slash(runner, world, world.jordan, "admin tickets assign", {"ticket": 2, "member": world.jordan})
    assert f"Ticket #2 is now <@{world.jordan.id}>'s" in assigned.content
    assert f"claimed by <@{world.jordan.id}>" in first


async def test_staff_are_reminded_when_a_ticket_waits_too_long(world: World, start_bot: StartBot) -> None:
    runner = await start_bot(ticket_sla_minutes=20)
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    thread = await hand_over(runner, world, world.alice)
    opened = (await services.handover.get(1)).waiting_since
    # what the every-minute job does, 21 minutes later, twice (the second run must not repeat it)
    assert await services.handover.sla_tick(opened + timedelta(minutes=21)) == 1
    assert await services.handover.sla_tick(opened + timedelta(minutes=22)) == 0
    reminder = await runner.wait(d.wait_for_message(lambda m: "has waited" in m.content, channel=world.staff))
    assert reminder.content == (
        f"Ticket #1 has waited 21 min for a reply (SLA 20 min; nobody has claimed it): <#{thread.id}>"
    )
    assert runner.bot.scheduler.get_job("ticket-sla") is not None  # type: ignore[attr-defined]


async def test_numbers_are_never_reused_after_an_erasure_and_the_transcript_goes(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    await hand_over(runner, world, world.alice)
    bobs = await hand_over(runner, world, world.bob)
    await d.user_says(world.bob, bobs, "please call me back")

    async def kept() -> bool:
        return len(await services.handover.transcript(2)) == 1

    await eventually(kept)
    exported = await slash(runner, world, world.bob, "privacy export")
    [mine] = json.loads(d.attachment_bytes(exported))["hand_overs"]
    assert mine["ticket"] == 2 and mine["transcript"][0]["text"] == "please call me back"
    confirm = await slash(runner, world, world.bob, "privacy delete")
    done = await d.click(world.bob, confirm, buttons(confirm)["Yes, delete everything"])
    await runner.wait(done.wait_message())
    assert await every_row_naming(services, world.bob.id) == []
    assert await services.handover.transcript(2) == []
    third = await hand_over(runner, world, world.shy)
    first_words = await runner.wait(d.wait_for_message(lambda m: "ticket #" in m.content, channel=third))
    assert "(ticket #3)" in first_words.content
