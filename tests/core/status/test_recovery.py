from __future__ import annotations

import json

import pytest

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.devices import InvalidDeviceId
from bot.core.feeds import parse_feed
from bot.core.outbox.notices import DeviceNotice, Progress, parse_notice
from bot.core.outbox.wakeup import Wakeup
from bot.core.registry import DeviceRegistry
from tests.helpers import IMEI, TEST_KEY, outbox_rows, recovery_feed, status_service, upd


async def test_registered_devices_are_told_when_their_data_changes_state(db: Database) -> None:
    registry = DeviceRegistry(db, DeviceCipher(TEST_KEY))
    await registry.register(42, IMEI)
    await registry.register(43, "AF0123450ABCDE")
    svc = status_service(db)
    devices = [
        {
            "device_id": "49-015420-323751-8",
            "state": "partial",
            "updated_at": "2026-11-28T11:00:00Z",
            "progress": {"photos": {"state": "in_progress", "percent": 40}, "contacts": {"state": "restored"}},
        },
        {"device_id": "af0123450abcde", "state": "in_progress", "updated_at": "2026-11-28T11:00:00Z"},
        {"device_id": "356938035643809", "state": "restored", "updated_at": "2026-11-28T11:00:00Z"},  # nobody's
    ]
    r = await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], devices, cursor="c1"), "recovery"))
    assert r.devices_changed == 3
    dms = await outbox_rows(db, "dm")
    assert [(d.target_id, json.loads(d.payload)["state"]) for d in dms] == [(42, "partial")]
    assert IMEI not in dms[0].payload and json.loads(dms[0].payload)["tail"] == "7518"
    notice = parse_notice(dms[0].payload, "dm")
    assert isinstance(notice, DeviceNotice)
    assert list(notice.progress) == ["contacts", "photos"]  # in a stable order
    assert notice.progress["photos"] == Progress(state="in_progress", percent=40)
    # the same report again changes nothing; a newer state notifies again
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], devices, cursor="c2"), "recovery"))
    assert len(await outbox_rows(db, "dm")) == 1
    devices[0] = {**devices[0], "state": "restored", "updated_at": "2026-11-28T12:00:00Z", "progress": {}}
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], devices, cursor="c3"), "recovery"))
    assert [json.loads(d.payload)["state"] for d in await outbox_rows(db, "dm")] == ["partial", "restored"]
    status = await svc.device_status(42)
    assert [(s.masked, s.state) for s in status] == [("****7518", "restored")]
    assert [(s.masked, s.state) for s in await svc.device_status(43)] == [("****BCDE", "in_progress")]


async def test_an_older_report_arriving_late_changes_nothing(db: Database) -> None:
    await DeviceRegistry(db, DeviceCipher(TEST_KEY)).register(42, IMEI)
    svc = status_service(db)
    newer = {"device_id": IMEI, "state": "restored", "updated_at": "2026-11-28T12:00:00Z"}
    older = {"device_id": IMEI, "state": "partial", "updated_at": "2026-11-28T10:00:00Z"}
    await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], [newer], cursor="c1"), "recovery"))
    r = await svc.ingest(parse_feed(recovery_feed([upd("a", 8, "x")], [older], cursor="c2"), "recovery"))
    assert r.devices_changed == 0
    assert [s.state for s in await svc.device_status(42)] == ["restored"]


async def test_staff_mark_a_device_and_its_owners_are_told(db: Database) -> None:
    registry = DeviceRegistry(db, DeviceCipher(TEST_KEY))
    await registry.register(42, IMEI)
    await registry.register(44, IMEI)  # a second registration of the same phone
    wakeup = Wakeup()
    svc = status_service(db, wakeup=wakeup)
    assert [s.state for s in await svc.device_status(42)] == ["pending"]
    assert await svc.mark_device("49 015420 323751 8", "not_recoverable", "Checked by hand.") == 2
    assert wakeup.is_set()
    dms = await outbox_rows(db, "dm")
    assert sorted(d.target_id for d in dms) == [42, 44]
    assert json.loads(dms[0].payload)["note"] == "Checked by hand."
    [row] = await svc.device_status(42)
    assert (row.state, row.note) == ("not_recoverable", "Checked by hand.")
    assert await svc.mark_device(IMEI, "not_recoverable", "Checked by hand.") == 0  # said already
    with pytest.raises(InvalidDeviceId):
        await svc.mark_device("12345", "restored")
