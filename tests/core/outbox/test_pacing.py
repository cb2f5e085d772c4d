from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.core.outbox import pacing
from bot.core.outbox.pacing import Pacer


async def test_sends_are_spaced_one_interval_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # a fake clock moves only when the pacer waits
        slept.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr(pacing, "asyncio", SimpleNamespace(sleep=sleep))
    pacer = Pacer(rate=4, clock=lambda: now[0])
    for _ in range(4):
        await pacer.wait()
    assert slept == [0.25, 0.25, 0.25]  # the first goes at once
    now[0] += 10  # after a quiet spell the next one goes at once too, not in a burst of saved-up slots
    await pacer.wait()
    await pacer.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
