from __future__ import annotations

from bot.core.outbox.wakeup import Wakeup


async def test_a_notification_is_kept_until_cleared() -> None:
    wakeup = Wakeup()
    assert not wakeup.is_set()
    wakeup.notify()
    assert await wakeup.wait(timeout=0) and await wakeup.wait(timeout=0)
    wakeup.clear()
    assert not await wakeup.wait(timeout=0)
