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


async def test_audit_masks_vendor_serials_and_disguised_ids(services: Services) -> None:
    from bot.core.staff.audit import AuditLog
    from bot.core.text.scanner import IdScanner

    audit = AuditLog(services.db, IdScanner(r"WR\d{8}"))
    spaced = "49\u00a0015420\u2009323751\u200b8"
    await audit.record(7, "devices.mark", device_id="WR20091005", note=f"serial wr 2009 1005 and {spaced}")
    [entry] = await audit.latest(1)
    shown = json.dumps(entry.args, ensure_ascii=False)
    assert entry.args["device_id"] == "****1005"  # a serial is masked like any other ID, not audited in full
    assert "20091005" not in shown and "2009 1005" not in shown and "323751" not in shown
    assert "****7518" in shown
