"""Statistics for staff, and the hourly chart rendered as a real PNG."""

from __future__ import annotations

import pytest

from bot.core.answering import Question
from bot.core.services import Services
from bot.core.stats import Series, compute, hourly, render_chart
from tests.helpers import IMEI, png_size

ALICE, BOB = 1001, 1002


async def test_stats_and_a_real_chart(services: Services) -> None:
    empty = render_chart(await hourly(services.db))
    w, h = png_size(empty)
    assert w > 300 and h > 200 and len(empty) > 2000
    await services.registry.register(ALICE, IMEI)
    await services.answerer.answer(Question(ALICE, "is my data lost?", 1, "dm"))
    await services.answerer.answer(Question(BOB, "best pizza in town?", 2, "dm"))
    await services.answerer.answer(Question(BOB, "where is the best pizza in town", 2, "dm"))
    await services.answerer.answer(Question(BOB, "I want a human", 2, "dm"))
    await services.conversations.flush()
    s = await compute(services.db)
    assert s.registrations == 1 and s.questions == 4
    assert s.by_source == {"offline": 4}
    assert s.resolved_without_staff == pytest.approx(0.25)
    assert s.gaps and s.gaps[0][1] == 2 and "pizza" in s.gaps[0][0]
    series = await hourly(services.db)
    assert sum(series.questions) == 4 and sum(series.registrations) == 1
    png = render_chart(series)
    w, h = png_size(png)
    assert 600 <= w <= 2000 and 300 <= h <= 1000
    assert png != empty


def test_chart_of_nothing_is_still_a_chart() -> None:
    png = render_chart(Series([], [], [], []))
    w, h = png_size(png)
    assert w > 300 and h > 200
