"""Staff tools and privacy controls through the sandbox, as staff and as a customer."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox import Message
from bot.sandbox import permissions as P
from tests.e2e.conftest import StartBot, World, eventually
from tests.helpers import buttons, every_row_naming, png_size
from tests.sandbox.conftest import BotRunner

IMEI = "490154203237518"


async def slash(
    runner: BotRunner, world: World, user: Any, command: str, options: dict[str, Any] | None = None, channel: Any = None
) -> Message:
    handle = await world.driver.run_slash(
        user, command, options, channel=channel or world.staff if user is world.jordan else channel or world.support
    )
    return await runner.wait(handle.wait_message())


async def modal(
    runner: BotRunner,
    world: World,
    user: Any,
    command: str,
    values: list[str],
    options: dict[str, Any] | None = None,
    channel: Any = None,
) -> Message:
    d = world.driver
    opened = await d.run_slash(user, command, options, channel=channel or world.staff)
    form = await runner.wait(opened.wait_modal())
    ids = [row["components"][0]["custom_id"] for row in form["components"]]
    submitted = await d.submit_modal(user, opened, dict(zip(ids, values, strict=False)))
    return await runner.wait(submitted.wait_message())


ADMIN_COMMANDS: list[tuple[str, dict[str, Any] | None]] = [
    ("admin status show", None),
    ("admin status post", {"state": "monitoring"}),
    ("admin status pause", None),
    ("admin status resume", None),
    ("admin status poll", None),
    ("admin devices count", None),
    ("admin devices lookup", {"device_id": IMEI}),
    ("admin devices export", None),
    ("admin devices mark", {"device_id": IMEI, "state": "restored"}),
    ("admin devices review", None),
    ("admin devices resolve", {"registration": 1, "keep": "this"}),
    ("admin faq add", None),
    ("admin faq edit", {"key": "what-happened"}),
    ("admin faq remove", {"key": "what-happened"}),
    ("admin faq list", None),
    ("admin faq reload", None),
    ("admin broadcast", {"audience": "subscribers"}),
    ("admin tickets list", None),
    ("admin tickets claim", {"ticket": 1}),
    ("admin tickets transcript", {"ticket": 1}),
    ("admin tickets close", {"ticket": 1}),
    ("admin stats", None),
    ("admin audit", None),
]


async def test_a_customer_cannot_use_any_admin_command_even_if_discord_lets_them(
    world: World, start_bot: StartBot
) -> None:
    d = world.driver
    d.everyone_role(world.guild).permissions |= P.MANAGE_MESSAGES  # Discord-side permissions, deliberately wrong
    runner = await start_bot()
    services = runner.bot.services  # type: ignore[attr-defined]
    await services.registry.register(world.bob.id, IMEI)
    assert int(d.commands(world.guild)["admin"].default_member_permissions or 0) == P.MANAGE_MESSAGES
    handles = []
    for name, options in ADMIN_COMMANDS:
        handle = await d.run_slash(world.alice, name, options, channel=world.support)
        reply = await runner.wait(handle.wait_message())
        assert reply.ephemeral and "support staff only" in reply.content, name
        assert handle.response_type == 4, name  # refused before any modal opens
        handles.append(handle)
    last = await d.run_slash(world.alice, "help", channel=world.support)  # handled after all of the above
    await runner.wait(last.wait_message())
    assert [h.followups for h in handles] == [[]] * len(handles)  # told once, without internals
    assert not [m for m in d.bot_messages() if "check functions" in m.content]
    assert (await services.status.health()).paused is False
    assert services.knowledge.get("what-happened") is not None
    assert (await services.status.device_status(world.bob.id))[0].state == "pending"
    assert not d.bot_messages(world.status) and not [m for m in d.bot_messages() if m.attachments]
    denied = [e for e in await services.audit.latest(50) if e.action == "denied"]
    assert len(denied) == len(ADMIN_COMMANDS)


async def test_staff_status_tools(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    shown = await slash(runner, world, world.jordan, "admin status show")
    assert "Automatic posting: on" in shown.content and "not configured" in shown.content

    preview = await modal(
        runner,
        world,
        world.jordan,
        "admin status post",
        ["Contacts unavailable", "Contacts are being restored from backup. " + "x" * 2900],
        options={"state": "recovering"},
    )
    assert preview.ephemeral and preview.embeds[0]["title"] == "Recovering: Contacts unavailable"
    post_it = buttons(preview)["Post it"]
    first = await d.click(world.jordan, preview, post_it)
    assert "Posted" in (await runner.wait(first.wait_message())).content
    second = await d.click(world.jordan, preview, post_it)  # confirmed twice
    assert "already posted" in (await runner.wait(second.wait_message())).content
    await runner.wait(d.wait_for_message(channel=world.status))
    assert len(d.bot_messages(world.status)) == 1

    assert "paused" in (await slash(runner, world, world.jordan, "admin status pause")).content
    assert "PAUSED" in (await slash(runner, world, world.jordan, "admin status show")).content
    assert "on again" in (await slash(runner, world, world.jordan, "admin status resume")).content
    assert "no status feed configured" in (await slash(runner, world, world.jordan, "admin status poll")).content


async def test_staff_device_tools_and_export(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    services = runner.bot.services  # type: ignore[attr-defined]
    await services.registry.register(world.alice.id, IMEI)
    await services.registry.register(world.bob.id, "35-209900-176148-1")
    count = await slash(runner, world, world.jordan, "admin devices count")
    assert "2 registrations from 2 customers" in count.content
    found = await slash(runner, world, world.jordan, "admin devices lookup", {"device_id": "49 015420 323751 8"})
    assert f"<@{world.alice.id}>" in found.content and "****7518" in found.content and IMEI not in found.content
    assert found.pings.empty
    by_customer = await slash(runner, world, world.jordan, "admin devices lookup", {"customer": world.bob})
    assert "****1481" in by_customer.content
    bad = await slash(runner, world, world.jordan, "admin devices lookup", {"device_id": "12345"})
    assert "not a valid device ID" in bad.content
    unknown = await slash(runner, world, world.jordan, "admin devices lookup", {"device_id": "356938035643809"})
    assert "No registration found" in unknown.content

    export = await slash(runner, world, world.jordan, "admin devices export")
    assert export.ephemeral and export.attachments
    rows = list(csv.DictReader(io.StringIO(world.driver.attachment_bytes(export).decode())))
    assert sorted(r["device_id"] for r in rows) == ['="352099001761481"', f'="{IMEI}"']  # text in spreadsheets
    assert {r["customer_id"] for r in rows} == {f'="{world.alice.id}"', f'="{world.bob.id}"'}

    marked = await slash(runner, world, world.jordan, "admin devices mark", {"device_id": IMEI, "state": "restored"})
    assert "Registered by 1 customer; 1 notice queued" in marked.content
    notice = await runner.wait(world.driver.wait_for_message(channel=world.driver.dm_channel(world.alice)))
    assert "has been restored" in notice.content and "****7518" in notice.content
    audit = await slash(runner, world, world.jordan, "admin audit")
    assert "devices.mark" in audit.content and "****7518" in audit.content and IMEI not in audit.content


async def test_staff_faq_tools_change_the_next_answer(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    added = await modal(
        runner,
        world,
        world.jordan,
        "admin faq add",
        ["Is the outage affecting Canada?", "Yes, customers in Canada are affected too. " + "y" * 3950, "canada"],
    )
    assert "Added FAQ entry `is-the-outage-affecting-canada`" in added.content
    dm = await d.user_says(world.alice, "dm", "is canada affected by the outage")
    reply = await runner.wait(d.wait_for_message(after=dm))
    assert "customers in Canada are affected too" in reply.content and all(
        len(m.content) <= 2000 for m in d.bot_messages(d.dm_channel(world.alice))
    )
    edited = await modal(
        runner,
        world,
        world.jordan,
        "admin faq edit",
        ["Is the outage affecting Canada?", "Canada: restores began today.", "canada"],
        options={"key": "is-the-outage-affecting-canada"},
    )
    assert "Updated" in edited.content
    dm = await d.user_says(world.alice, "dm", "is canada affected by the outage")
    reply = await runner.wait(d.wait_for_message(after=dm))
    assert "restores began today" in reply.content
    listing = await slash(runner, world, world.jordan, "admin faq list")
    assert "is-the-outage-affecting-canada" in (listing.content + str(listing.attachments))
    removed = await slash(runner, world, world.jordan, "admin faq remove", {"key": "is-the-outage-affecting-canada"})
    assert "Removed" in removed.content
    missing = await slash(runner, world, world.jordan, "admin faq remove", {"key": "no-such-entry"})
    assert "There is no FAQ entry" in missing.content
    reloaded = await slash(runner, world, world.jordan, "admin faq reload")
    assert "Reloaded" in reloaded.content


async def test_broadcast_reaches_each_person_once_and_reports(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    for user in (world.alice, world.bob, world.shy):
        await services.status.subscribe(user.id)
    too_long = await modal(
        runner, world, world.jordan, "admin broadcast", ["z" * 4000], options={"audience": "subscribers"}
    )
    assert "at most 1800" in too_long.content
    confirm = await modal(
        runner,
        world,
        world.jordan,
        "admin broadcast",
        ["Contacts are back for everyone."],
        options={"audience": "subscribers"},
    )
    assert "will reach **3 people**" in confirm.content
    send = buttons(confirm)["Send it"]
    first = await d.click(world.jordan, confirm, send)
    assert "Sending broadcast" in (await runner.wait(first.wait_message())).content
    again = await d.click(world.jordan, confirm, send)
    assert "nothing was sent twice" in (await runner.wait(again.wait_message())).content
    for user in (world.alice, world.bob):
        got = await runner.wait(d.wait_for_message(channel=d.dm_channel(user)))
        assert "Contacts are back for everyone." in got.content and got.pings.empty

    async def reported() -> bool:  # the scheduler does this every 15 s; here, until the last row is settled
        await services.broadcasts.progress_tick()
        return (await services.broadcasts.get(1)).status == "done"

    await eventually(reported)
    report = await runner.wait(d.wait_for_message(lambda m: "finished" in m.content, channel=world.staff))
    assert "2 sent, 1 not reachable" in report.content
    assert all(len(d.bot_messages(d.dm_channel(u))) == 1 for u in (world.alice, world.bob))


async def test_tickets_stats_and_chart(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    human = await d.run_slash(world.alice, "human", channel=world.support)
    await runner.wait(human.wait_message())
    listed = await slash(runner, world, world.jordan, "admin tickets list")
    assert f"#1 <@{world.alice.id}> (asked)" in listed.content
    assert "is closed" in (await slash(runner, world, world.jordan, "admin tickets close", {"ticket": 1})).content
    assert "No open hand-overs" in (await slash(runner, world, world.jordan, "admin tickets list")).content
    assert "no ticket #99" in (await slash(runner, world, world.jordan, "admin tickets close", {"ticket": 99})).content
    stats = await slash(runner, world, world.jordan, "admin stats")
    assert "Hand-overs: 1" in stats.content
    w, h = png_size(d.attachment_bytes(stats))
    assert w > 500 and h > 250


async def test_privacy_export_and_delete_leave_nothing(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    registered = await modal(runner, world, world.alice, "device register", [IMEI], channel=world.support)
    assert "****7518" in registered.content
    dm = await d.user_says(world.alice, "dm", "is my data lost?")
    await runner.wait(d.wait_for_message(after=dm))
    await slash(runner, world, world.alice, "subscribe")
    await services.status.mark_device(IMEI, "restored")
    await runner.wait(d.wait_for_message(lambda m: "restored" in m.content, channel=d.dm_channel(world.alice)))

    exported = await slash(runner, world, world.alice, "privacy export")
    data = json.loads(d.attachment_bytes(exported))
    assert exported.ephemeral and data["devices"][0]["device_id"] == IMEI and data["subscribed_to_status_dms"]
    assert data["answers"][0]["question"] == "is my data lost?"

    confirm = await slash(runner, world, world.alice, "privacy delete")
    delete_id = buttons(confirm)["Yes, delete everything"]
    assert await services.registry.list_for(world.alice.id)  # nothing happens before the confirmation
    done = await d.click(world.alice, confirm, delete_id)
    assert "everything we stored about you is deleted" in (await runner.wait(done.wait_message())).content

    async def nothing_left() -> bool:
        return await every_row_naming(services, world.alice.id) == []

    await eventually(nothing_left)
    help_text = await slash(runner, world, world.alice, "help")
    assert "/privacy delete" in help_text.content and "What I store" in help_text.content


async def test_a_manual_post_is_pre_filled_and_keeps_progress_and_promise(world: World, start_bot: StartBot) -> None:
    from bot.core.feeds import parse_feed
    from tests.helpers import recovery_feed, upd

    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    progress = {
        "contacts": {"state": "partial", "percent": 80},
        "photos": {"state": "in_progress", "percent": 10},
    }
    soon = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    later = soon + timedelta(hours=2)
    promise = soon.isoformat().replace("+00:00", "Z")
    feed = recovery_feed([upd("a", 8, "Restoring.", progress=progress, next_update_by=promise)])
    await services.status.ingest(parse_feed(feed, "recovery"))

    opened = await d.run_slash(world.jordan, "admin status post", {"state": "recovering"}, channel=world.staff)
    form = await runner.wait(opened.wait_modal())
    fields = [row["components"][0] for row in form["components"]]
    defaults = {f["label"]: f.get("value") for f in fields}
    assert defaults["Incident title"] == "Contacts and photos unavailable"
    assert defaults["Progress per data type (one a line)"] == "Contacts: 80% partial\nPhotos: 10% in progress"
    assert defaults["Next update by (empty: no promise)"] == f"{soon:%Y-%m-%d %H:%M} UTC"

    values = [
        "Contacts and photos unavailable",
        "Photos are coming back.",
        "Contacts: 80% partial\nPhotos: 40% partial",
        f"{later:%Y-%m-%d %H:%M} UTC",
    ]
    submitted = await d.submit_modal(
        world.jordan, opened, {f["custom_id"]: v for f, v in zip(fields, values, strict=True)}
    )
    preview = await runner.wait(submitted.wait_message())
    assert [f["name"] for f in preview.embeds[0]["fields"]][:2] == ["Contacts", "Photos"]
    clicked = await d.click(world.jordan, preview, buttons(preview)["Post it"])
    assert "Posted" in (await runner.wait(clicked.wait_message())).content
    posted = await runner.wait(
        d.wait_for_message(
            lambda m: (
                m.channel_id == world.status.id
                and bool(m.embeds)
                and "coming back" in m.embeds[0].get("description", "")
            )
        )
    )
    shown = {f["name"]: f["value"] for f in posted.embeds[0]["fields"]}
    assert "40%" in shown["Photos"] and "80%" in shown["Contacts"] and "Next update by" in shown

    status = await slash(runner, world, world.alice, "status")
    fields_now = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert "80%" in fields_now["Contacts"] and "40%" in fields_now["Photos"] and "Next update by" in fields_now
    [latest] = await services.status.latest_updates(1)
    assert latest.next_update_by == later
    snap = await services.status.snapshot()
    assert snap.text.count("Contacts and photos unavailable") == 1

    bad = await d.run_slash(world.jordan, "admin status post", {"state": "recovering"}, channel=world.staff)
    form = await runner.wait(bad.wait_modal())
    ids = [row["components"][0]["custom_id"] for row in form["components"]]
    refused = await d.submit_modal(world.jordan, bad, dict(zip(ids, ["T", "B", "", "soon"], strict=True)))
    assert "Nothing was saved" in (await runner.wait(refused.wait_message())).content
