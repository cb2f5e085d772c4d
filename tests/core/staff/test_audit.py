"""The audit log: who did what, device IDs masked, erased people shown as erased."""

from __future__ import annotations

import json

from bot.core.services import Services
from tests.helpers import IMEI


async def test_audit_masks_device_ids(services: Services) -> None:
    await services.audit.record(7, "devices.mark", device_id=IMEI, note=f"customer said {IMEI} twice")
    [entry] = await services.audit.latest(1)
    assert IMEI not in json.dumps(entry.args)
    assert entry.args["device_id"] == "****7518"
    assert entry.actor == "<@7>"


async def test_audit_masks_ids_in_nested_arguments_and_keeps_the_rest(services: Services) -> None:
    spaced = "49 015420 323751 8"
    await services.audit.record(
        None, "status.post", subject_id=1001, ids=[spaced, "not an id"], extra={"n": 3, "text": f"re {IMEI}"}
    )
    [entry] = await services.audit.latest(1)
    assert entry.actor == "command line" and entry.subject == "<@1001>"
    assert entry.args["ids"] == ["****7518", "not an id"]
    assert entry.args["extra"]["n"] == 3 and IMEI not in entry.args["extra"]["text"]


async def test_latest_is_newest_first_and_limited(services: Services) -> None:
    for n in range(5):
        await services.audit.record(7, f"action.{n}")
    assert [e.action for e in await services.audit.latest(3)] == ["action.4", "action.3", "action.2"]
