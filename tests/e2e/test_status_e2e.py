"""Recovery status end to end: feed server -> bot -> sandbox Discord."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.core.models import Outbox
from bot.sandbox import Channel, Message, User
from tests.e2e.conftest import StartBot, World, eventually
from tests.fakes.feed_server import FeedResponse, FeedServer
from tests.helpers import buttons, recovery_feed, upd

IMEI = "490154203237518"


def feed_settings(feed: FeedServer, **extra: Any) -> dict[str, Any]:
    return {"status_feed_url": feed.url, "status_poll_seconds": 3600, "dm_per_second": 20, **extra}


def status_posts(world: World) -> list[Message]:
    return [m for m in world.driver.bot_messages(world.status) if m.embeds]


async def test_updates_are_posted_once_edited_in_place_and_never_reposted_after_a_restart(
    world: World, start_bot: StartBot, feed: FeedServer
) -> None:
    d = world.driver
    feed.serve(
        recovery_feed(
            [
                upd("a", 8, "Investigating."),
                upd(
                    "b",
                    9,
                    "Contacts are coming back. @everyone",
                    next_update_by="2026-11-28T15:00:00Z",
                    progress={"contacts": {"state": "partial", "percent": 60}, "photos": {"state": "pending"}},
                ),
            ]
        )
    )
    runner = await start_bot(**feed_settings(feed))  # the first poll runs at start
    first = await runner.wait(d.wait_for_message(channel=world.status))
    embed = first.embeds[0]
    assert embed["title"].startswith("Recovering: Contacts and photos unavailable")
    assert "Contacts are coming back." in embed["description"] and first.pings.empty
    assert {f["name"]: f["value"] for f in embed["fields"]}["Contacts"] == "partly restored (60%)"
    assert "Status as of 28 Nov 2026, 09:00 UTC" in embed["footer"]["text"] and "timestamp" not in embed
    assert "Get updates by DM" in buttons(first)
    assert len(status_posts(world)) == 1  # only the current state on a first run, not the history

    feed.serve(
        recovery_feed(
            [
                upd("a", 8, "Investigating."),
                upd(
                    "b",
                    9,
                    "Contacts are coming back for most customers.",
                    progress={"contacts": {"state": "partial", "percent": 60}, "photos": {"state": "pending"}},
                ),
                upd(
                    "c", 10, "Photos restore has started.", progress={"photos": {"state": "in_progress", "percent": 5}}
                ),
            ]
        )
    )
    cursor = d.cursor()
    await runner.bot.services.status.poll()  # type: ignore[attr-defined]
    new = await runner.wait(d.wait_for_message(channel=world.status, after=cursor))
    assert "Photos restore has started." in new.embeds[0]["description"]
    edit = await runner.wait(
        d.wait_for_event("message_update", lambda e: e.message is not None and e.message.id == first.id, after=cursor)
    )
    assert edit.message is not None
    assert "for most customers" in edit.message.embeds[0]["description"]
    assert edit.message.embeds[0]["footer"]["text"].endswith("· edited")

    await runner.close()
    await runner.bot.services.close()  # type: ignore[attr-defined]
    runner = await start_bot(**feed_settings(feed))
    await runner.bot.services.status.poll()  # type: ignore[attr-defined]
    await runner.bot.outbox.deliver_due()  # type: ignore[attr-defined]
    assert len(status_posts(world)) == 2
    assert all(
        r.json.get("enforce_nonce")
        for r in d.requests("POST", "/channels/{channel_id}/messages")
        if r.path.startswith(f"/channels/{world.status.id}/")
    )


async def test_the_scheduler_polls_on_its_own(world: World, start_bot: StartBot, feed: FeedServer) -> None:
    d = world.driver
    feed.serve(recovery_feed([upd("a", 8, "Investigating.")]))
    runner = await start_bot(**feed_settings(feed, status_poll_seconds=1))
    await runner.wait(d.wait_for_message(channel=world.status))
    feed.serve(recovery_feed([upd("a", 8, "Investigating."), upd("b", 9, "Found it.")]))
    msg = await runner.wait(
        d.wait_for_message(lambda m: "Found it." in m.embeds[0]["description"], channel=world.status), timeout=8
    )
    assert msg.embeds[0]["title"].startswith("Recovering")
    assert len(feed.requests) >= 2


async def test_subscribers_and_device_owners_are_told_privately(
    world: World, start_bot: StartBot, feed: FeedServer
) -> None:
    d = world.driver
    feed.serve(recovery_feed([upd("a", 8, "Investigating.")], devices=[]))
    runner = await start_bot(**feed_settings(feed))
    first = await runner.wait(d.wait_for_message(channel=world.status))
    services = runner.bot.services  # type: ignore[attr-defined]

    click = await d.click(world.alice, first, buttons(first)["Get updates by DM"])
    assert "every status update" in (await runner.wait(click.wait_message())).content
    sub = await d.run_slash(world.shy, "subscribe", channel=world.support)
    await runner.wait(sub.wait_message())
    await services.registry.register(world.bob.id, IMEI)
    await services.registry.register(world.shy.id, IMEI)

    feed.serve(
        recovery_feed(
            [upd("a", 8, "Investigating."), upd("b", 9, "Contacts restored.")],
            devices=[
                {
                    "device_id": "49-015420-323751-8",
                    "state": "restored",
                    "updated_at": "2026-11-28T09:00:00Z",
                    "progress": {"contacts": {"state": "restored"}},
                }
            ],
            cursor="c1",
        )
    )
    await services.status.poll()
    alice_dm = await runner.wait(d.wait_for_message(channel=d.dm_channel(world.alice)))
    assert "Contacts restored." in alice_dm.embeds[0]["description"]
    bob_dm = await runner.wait(d.wait_for_message(channel=d.dm_channel(world.bob)))
    assert "has been restored" in bob_dm.content and "****7518" in bob_dm.content and IMEI not in bob_dm.content

    status = await d.run_slash(world.bob, "device status", channel=world.support)
    text = (await runner.wait(status.wait_message())).content
    assert "****7518" in text and "restored" in text

    # shy does not accept DMs: recorded for staff, not retried forever
    async def shy_rows() -> list[Outbox]:
        async with services.db.sessions() as s:
            return list(await s.scalars(select(Outbox).where(Outbox.customer_id == world.shy.id)))

    async def settled() -> bool:
        rows = await shy_rows()
        return len(rows) == 2 and all(r.status != "pending" for r in rows)

    await eventually(settled)
    rows = await shy_rows()
    assert {r.status for r in rows} == {"unreachable"}
    assert all(json.loads(r.payload)["kind"] in ("status", "device") for r in rows)


async def test_staff_hear_once_when_the_feed_breaks_and_once_when_it_recovers(
    world: World, start_bot: StartBot, feed: FeedServer
) -> None:
    d = world.driver
    feed.current = FeedResponse(b"<html><body>Bad gateway</body></html>", status=200, content_type="text/html")
    runner = await start_bot(**feed_settings(feed, feed_alert_after_failures=3))
    services = runner.bot.services  # type: ignore[attr-defined]
    for _ in range(5):
        await services.status.poll()
    alert = await runner.wait(d.wait_for_message(channel=world.staff))
    assert "failed 3 times" in alert.content and alert.pings.empty
    feed.serve(recovery_feed([upd("a", 8, "Back.")]))
    await services.status.poll()
    await services.status.poll()
    back = await runner.wait(d.wait_for_message(lambda m: "working again" in m.content, channel=world.staff))
    assert back.pings.empty
    assert [m.id for m in d.bot_messages(world.staff)] == [alert.id, back.id]  # nothing else, in that order
    assert not [m for m in d.bot_messages(world.status) if "Bad gateway" in str(m.embeds)]


async def test_status_command_and_answers_quote_the_time(world: World, start_bot: StartBot, feed: FeedServer) -> None:
    d = world.driver
    feed.serve(recovery_feed([upd("a", 9, "Contacts are coming back.")]))
    runner = await start_bot(**feed_settings(feed))
    await runner.wait(d.wait_for_message(channel=world.status))
    handle = await d.run_slash(world.alice, "status", channel=world.general)
    msg = await runner.wait(handle.wait_message())
    assert msg.ephemeral and "Contacts are coming back." in msg.embeds[0]["description"]
    dm = await d.user_says(world.alice, "dm", "when will it be fixed?")
    reply = await runner.wait(d.wait_for_message(after=dm))
    assert "Status as of 28 Nov 2026, 09:00 UTC" in reply.content


async def test_each_later_notice_costs_one_request_even_after_a_restart(
    world: World, start_bot: StartBot, feed: FeedServer
) -> None:
    d = world.driver
    alice_dm, bob_dm = d.dm_channel(world.alice), d.dm_channel(world.bob)
    history = [upd("a", 8, "Investigating.")]
    feed.serve(recovery_feed(history))
    runner = await start_bot(**feed_settings(feed))
    await runner.wait(d.wait_for_message(channel=world.status))
    for user in (world.alice, world.bob):
        sub = await d.run_slash(user, "subscribe", channel=world.support)
        await runner.wait(sub.wait_message())
    asked = await d.user_says(world.bob, "dm", "is my data lost?")  # bob has written to the bot before
    await runner.wait(d.wait_for_message(channel=bob_dm, after=asked))

    def opened(user: User) -> int:
        return len([r for r in d.requests("POST", "/users/@me/channels") if int(r.json["recipient_id"]) == user.id])

    def sent_to(channel: Channel) -> int:
        posts = d.requests("POST", "/channels/{channel_id}/messages")
        return len([r for r in posts if r.path == f"/channels/{channel.id}/messages"])

    async def notice(n: int) -> None:
        history.append(upd(f"u{n}", 9 + n, f"Update {n}."))
        feed.serve(recovery_feed(history))
        cursor = d.cursor()
        await runner.bot.services.status.poll()  # type: ignore[attr-defined]
        for channel in (alice_dm, bob_dm):
            shown = d.wait_for_message(lambda m: "Update" in m.embeds[0]["description"], channel=channel, after=cursor)
            await runner.wait(shown)

    before = {"alice": sent_to(alice_dm), "bob": sent_to(bob_dm)}
    await notice(1)
    assert (opened(world.alice), opened(world.bob)) == (1, 0)  # bob's channel is known from his own DM
    await notice(2)
    assert (opened(world.alice), opened(world.bob)) == (1, 0)

    await runner.close()
    await runner.bot.services.close()  # type: ignore[attr-defined]
    runner = await start_bot(**feed_settings(feed))  # a new process on the same database
    await notice(3)
    assert (opened(world.alice), opened(world.bob)) == (1, 0)
    # and each notice was one message request: none failed and had to be retried
    assert (sent_to(alice_dm) - before["alice"], sent_to(bob_dm) - before["bob"]) == (3, 3)
