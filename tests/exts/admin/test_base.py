"""The /admin cogs together: one command as Discord sees it, staff-only on every use, audited once per use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import StartBot, World
from tests.helpers import IMEI

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "discord" / "admin-command.json"


async def test_discord_sees_the_same_admin_command_as_before_the_split(world: World, start_bot: StartBot) -> None:
    await start_bot()
    [put] = [r for r in world.driver.requests("PUT") if r.route and r.route.endswith("/commands")]
    synced = {c["name"]: c for c in put.json}
    assert synced["admin"] == json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert list(synced).index("admin") == len(synced) - 3  # still listed before /privacy and /help


async def test_each_command_is_audited_once_with_its_arguments_masked(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    await services.registry.register(world.bob.id, IMEI)
    uses: list[tuple[str, dict[str, Any] | None]] = [
        ("admin devices lookup", {"device_id": IMEI}),
        ("admin devices lookup", {"customer": world.bob}),
        ("admin tickets list", None),
        ("admin faq list", None),  # public text: not audited
        ("admin audit", None),  # reading the log: not audited
        ("admin status pause", None),
    ]
    for name, options in uses:
        handle = await d.run_slash(world.jordan, name, options, channel=world.staff)
        await runner.wait(handle.wait_message())
    entries = list(reversed(await services.audit.latest(10)))
    assert [e.action for e in entries] == ["devices.lookup", "devices.lookup", "tickets.list", "status.pause"]
    assert {e.actor for e in entries} == {f"<@{world.jordan.id}>"}
    by_id, by_customer, tickets, pause = entries
    assert by_id.subject is None and by_id.args == {"device_id": "****7518"}
    assert by_customer.subject == f"<@{world.bob.id}>" and by_customer.args == {"device_id": None}
    assert tickets.args == {"status": "open"}  # the default is recorded, as the command used it
    assert pause.args == {}


async def test_reloading_the_admin_extension_keeps_every_command(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    tree = runner.bot.tree
    before = {c.name: c.to_dict(tree) for c in tree.get_commands()}
    await runner.bot.reload_extension("bot.exts.admin")
    assert {c.name: c.to_dict(tree) for c in tree.get_commands()} == before  # /status too, not only /admin
    shown = await d.run_slash(world.jordan, "admin status show", channel=world.staff)
    assert "Automatic posting: on" in (await runner.wait(shown.wait_message())).content
    status = await d.run_slash(world.alice, "status", channel=world.support)
    assert "No status update has been published yet" in (await runner.wait(status.wait_message())).content
