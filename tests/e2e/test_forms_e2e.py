"""Forms belong to their opener and expire; button ids are parsed strictly and every press is answered."""

from __future__ import annotations

import pytest

from bot.sandbox.interaction_data import modal_answers
from bot.sandbox.interactions import MODAL_SUBMIT
from bot.ui.forms import FORM_TTL, NOT_YOURS, Form
from tests.e2e.conftest import StartBot, World
from tests.helpers import buttons

IMEI = "490154203237518"


async def test_a_form_submitted_by_someone_else_is_refused(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    opened = await d.run_slash(world.alice, "device register", channel=world.support)
    form = await runner.wait(opened.wait_modal())
    field_id = form["components"][0]["components"][0]["custom_id"]
    # bob's client sends a submission of alice's form (its custom_id leaked): Discord would not, a forger can
    forged = await world.server.interactions.create(
        MODAL_SUBMIT,
        world.bob,
        world.support,
        {"custom_id": form["custom_id"], "components": modal_answers(form, {field_id: IMEI})},
    )
    refused = await runner.wait(d.interaction(forged.id).wait_message())
    assert refused.ephemeral and refused.content == NOT_YOURS
    listed = await d.run_slash(world.bob, "device list", channel=world.support)
    assert IMEI[-4:] not in (await runner.wait(listed.wait_message())).content
    # alice's own submission still goes through
    ok = await d.submit_modal(world.alice, opened, {field_id: IMEI})
    assert "registered" in (await runner.wait(ok.wait_message())).content


async def test_forms_expire() -> None:
    class Probe(Form, title="probe"):
        pass

    assert Probe().timeout == FORM_TTL  # discord.py forgets a modal once its timeout has passed


@pytest.mark.parametrize("forged", ["9999999999999999999", "99999999999999999999", "0"])
async def test_a_forged_feedback_id_is_answered_not_crashed(world: World, start_bot: StartBot, forged: str) -> None:
    runner = await start_bot()
    d = world.driver
    asked = await d.user_says(world.alice, "dm", "is my data lost?")
    reply = await runner.wait(d.wait_for_message(after=asked, channel=d.dm_channel(world.alice)))
    real = buttons(reply)["Helpful"]
    # a modified client presses a button whose id was tampered with
    for row in reply.components:
        for c in row["components"]:
            if c.get("custom_id") == real:
                c["custom_id"] = f"fb:{forged}:h"
    click = await d.click(world.alice, reply, f"fb:{forged}:h")
    answered = await runner.wait(click.wait_message())
    assert answered.ephemeral and "no longer works" in answered.content
