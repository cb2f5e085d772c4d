"""The review queue for shared devices: listed masked with every claimant, resolved either way, and cleared by
itself when a claimant removes the device or erases their data."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.models import Outbox
from bot.core.registry import DeviceRegistry
from bot.core.services import Services
from bot.core.staff.review import ReviewQueue
from tests.helpers import IMEI

ALICE, BOB, CAROL = 1001, 1002, 1003
OTHER = "356938035643809"


async def shared(database: Database, cipher: DeviceCipher) -> tuple[DeviceRegistry, ReviewQueue]:
    registry = DeviceRegistry(database, cipher)
    for who in (ALICE, BOB):
        await registry.register(who, IMEI)
    await registry.register(CAROL, OTHER)
    return registry, ReviewQueue(database)


async def test_shared_devices_are_listed_masked_with_every_claimant(database: Database, cipher: DeviceCipher) -> None:
    _, queue = await shared(database, cipher)
    [item] = await queue.list()
    assert (item.kind, item.masked) == ("imei", "****7518")
    assert [c.customer_id for c in item.claims] == [ALICE, BOB]
    assert IMEI not in repr(item)


async def test_keeping_one_owner_removes_the_others_and_tells_them(database: Database, cipher: DeviceCipher) -> None:
    registry, queue = await shared(database, cipher)
    [item] = await queue.list()
    bob_registration = item.claims[1].registration_id
    assert await queue.resolve(item.claims[0].registration_id + 1000, "this") is None
    done = await queue.resolve(bob_registration, "this")
    assert done is not None and (done.kept, done.removed) == ([BOB], [ALICE])
    assert await registry.list_for(ALICE) == [] and not (await registry.list_for(BOB))[0].needs_review
    assert await queue.list() == [] and await queue.resolve(bob_registration, "this") is None
    async with database.sessions() as s:
        [dm] = list(await s.scalars(select(Outbox).where(col(Outbox.kind) == "dm")))
    assert dm.target_id == ALICE and "****7518" in json.loads(dm.payload)["content"]


async def test_keeping_all_clears_the_flag_for_everyone(database: Database, cipher: DeviceCipher) -> None:
    registry, queue = await shared(database, cipher)
    [item] = await queue.list()
    done = await queue.resolve(item.claims[0].registration_id, "all")
    assert done is not None and done.kept == [ALICE, BOB] and done.removed == []
    assert await queue.list() == []
    assert [d.needs_review for who in (ALICE, BOB) for d in await registry.list_for(who)] == [False, False]


async def test_the_flag_goes_when_a_claimant_removes_the_device(database: Database, cipher: DeviceCipher) -> None:
    registry, queue = await shared(database, cipher)
    assert await registry.remove_by_value(ALICE, IMEI)
    assert await queue.list() == [] and not (await registry.list_for(BOB))[0].needs_review
    await registry.register(ALICE, IMEI)  # claimed again: back in the queue
    [item] = await queue.list()
    assert await registry.remove(BOB, item.claims[0].registration_id)
    assert await queue.list() == []


async def test_the_flag_goes_when_a_claimant_erases_their_data(services: Services) -> None:
    for who in (ALICE, BOB):
        await services.registry.register(who, IMEI)
    assert len(await services.review.list()) == 1
    await services.privacy.erase(ALICE)
    assert await services.review.list() == []
    assert (await services.registry.count())["needs_review"] == 0
