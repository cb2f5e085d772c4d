"""Messages as text: mentions and timestamps made readable, components numbered, files, embeds."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoWorld
from bot.sandbox.state import Attachment, Message
from bot.sandbox.terminal.numbers import Numbers
from bot.sandbox.terminal.render import Renderer
from bot.sandbox.terminal.screen import Paint
from bot.sandbox.terminal.session import Session

from .scripted import Script


@pytest.fixture
def render(server: SandboxServer, demo: DemoWorld) -> Renderer:
    return Renderer(Session(server, demo), Paint(False), Numbers())


def bot_message(server: SandboxServer, demo: DemoWorld, **fields: Any) -> Message:
    w = server.world
    return Message(id=w.ids.next(), channel_id=demo.support.id, author_id=w.bot_user.id, **fields)


def test_mentions_links_and_timestamps_read_as_a_person_reads_them(render: Renderer, demo: DemoWorld) -> None:
    text = (f"<@{demo.alex.id}> and <@!{demo.sam.id}>, ask <@&{demo.staff_role.id}> in <#{demo.staff.id}> "
            "before <t:1735787040:f>; try </status:123> :) <:wren:42> <@&1>")
    assert render.humanize(text) == ("@alex and @sam, ask @Support Staff in #staff before 2025-01-02 03:04 UTC; "
                                     "try /status :) :wren: <@&1>")


def test_components_keep_their_numbers(render: Renderer, server: SandboxServer, demo: DemoWorld) -> None:
    row = {"type": 1, "components": [
        {"type": 2, "custom_id": "fb:h", "label": "Helpful"},
        {"type": 2, "style": 5, "url": "https://example.com/help", "label": "Guide"},
        {"type": 2, "custom_id": "fb:n", "emoji": {"name": "👎"}, "disabled": True}]}
    menu = {"type": 1, "components": [{"type": 3, "custom_id": "os", "placeholder": "Your phone",
                                       "options": [{"label": "Wren 5"}, {"label": "Wren 6"}]}]}
    first = bot_message(server, demo, content="Was this helpful?", components=[row])
    assert render.message(first) == ("SandboxBot: Was this helpful?\n"
                                     "  [1] Helpful  [link: Guide <https://example.com/help>]  [2] 👎 (disabled)")
    second = bot_message(server, demo, components=[menu])
    assert render.message(second) == "SandboxBot:\n  [3] menu “Your phone”: Wren 5 | Wren 6"
    assert render.message(first).endswith("[1] Helpful  [link: Guide <https://example.com/help>]  [2] 👎 (disabled)")
    assert render.numbers.components[3].custom_id == "os"


def test_layout_components_files_and_marks(render: Renderer, server: SandboxServer, demo: DemoWorld) -> None:
    container = {"type": 17, "components": [
        {"type": 10, "content": f"Hello <@{demo.alex.id}>"}, {"type": 14},
        {"type": 9, "components": [{"type": 10, "content": "Restores"}],
         "accessory": {"type": 2, "custom_id": "more", "label": "More"}}]}
    files = [Attachment(id=server.world.ids.next(), filename="devices.csv", data=bytes(2048),
                        content_type="text/csv")]
    m = bot_message(server, demo, content="line one\nline two", components=[container], attachments=files,
                    flags=Message.EPHEMERAL)
    assert render.message(m, edited=True) == (
        "SandboxBot [only you] (edited): line one\n"
        "    line two\n"
        "  | Hello @alex\n"
        "  | --------------------\n"
        "  | Restores\n"
        "  | [1] More\n"
        "  file #1: devices.csv (2.0 KB, text/csv): `:save 1 <path>` to keep it")
    elsewhere = bot_message(server, demo, content="hi")
    elsewhere.channel_id = demo.status.id
    assert render.message(elsewhere) == "[#status] SandboxBot: hi"
    assert render.message(elsewhere, in_history=True) == "SandboxBot: hi"


async def test_embed_rendering(term: Script) -> None:
    term.send("/status")
    seen = await term.expect("-- Larkspur Support · 2025-01-02 03:04 UTC")
    assert ("SandboxBot:\n  | Incident status\n  | Restores are running.\n  | Affected: Photos, contacts\n"
            "  | Next update: 2025-01-02 03:04 UTC\n") in seen
    await term.quit()
