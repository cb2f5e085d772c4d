"""Statistics for staff that do not flatter, and a chart whose pixels match its data."""

from __future__ import annotations

import asyncio
import io
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.core.answering import Question
from bot.core.chart import COLOURS, Series, activity, render_chart, series_from_png
from bot.core.db import Database
from bot.core.models import AnswerRecord, Device, Ticket
from bot.core.services import Services
from bot.core.stats import compute, fold_erased
from tests.helpers import IMEI, png_size

ALICE, BOB, CAROL = 1001, 1002, 1003
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


_ids = itertools.count(1)


def _answer(customer: int, at: datetime, **extra: object) -> AnswerRecord:
    """An answer as ConversationStore records it (it makes the ids)."""
    values: dict[str, object] = {"question": "q", "answer": "a", "source": "offline", "answered": True}
    values.update(extra)
    return AnswerRecord(id=next(_ids), customer_id=customer, created_at=at, **values)  # type: ignore[arg-type]


async def _seed(db: Database) -> None:
    """alice: helpful; bob: asks again 5 min later (the first did not resolve it), then silence;
    carol: answered, then handed over 10 min later; dave: answered a minute before `now` (not rated yet)."""
    async with db.transaction() as s:
        s.add(_answer(ALICE, T0, feedback="helpful"))
        s.add(_answer(BOB, T0))
        s.add(_answer(BOB, T0 + timedelta(minutes=5)))
        s.add(_answer(CAROL, T0))
        s.add(Ticket(customer_id=CAROL, reason="asked", summary="", created_at=T0 + timedelta(minutes=10)))
        s.add(_answer(4, T0 + timedelta(hours=2) - timedelta(minutes=1)))
        s.add(_answer(5, T0, answered=False))
        s.add(_answer(6, T0, source="limit"))  # "slow down" is no answer


async def test_resolved_means_helped_or_no_follow_up_and_no_hand_over(database: Database) -> None:
    empty = await compute(database, now=T0)
    assert empty.resolved_without_staff is None and "n/a" in "\n".join(empty.lines())
    assert "First staff reply: n/a (no hand-over answered yet)" in empty.lines()
    await _seed(database)
    s = await compute(database, now=T0 + timedelta(hours=2))
    assert s.questions == 6  # the rate-limit notice is not a question
    # rated: alice (resolved), bob x2 (first unresolved, second resolved), carol (unresolved), unanswered (no)
    assert (s.rated, s.resolved) == (5, 2)
    assert "Resolved without staff: 40% (2 of 5 rated answers)" in s.lines()


async def test_counts_survive_an_erasure_as_anonymous_aggregates(database: Database) -> None:
    await _seed(database)
    async with database.transaction() as s:
        s.add(Device(customer_id=BOB, kind="imei", id_hash="h", id_cipher="c", tail="7518", created_at=T0))
    now = T0 + timedelta(hours=2)
    before = await compute(database, now=now)
    chart_before = await activity(database, now=now)
    async with database.transaction() as s:
        for customer in (BOB, CAROL):
            await fold_erased(s, customer, now)
            for model in (AnswerRecord, Ticket, Device):
                await s.execute(model.__table__.delete().where(model.customer_id == customer))  # type: ignore[attr-defined]
    after = await compute(database, now=now)
    # every count stays; only what is live goes with the people: carol's open hand-over is gone
    assert (before.open_handovers, after.open_handovers) == (1, 0)
    assert replace(after, open_handovers=1) == before
    assert after.registrations == 1 and after.customers_with_devices == 1
    assert await activity(database, now=now) == chart_before


async def test_stats_from_real_answers_and_a_real_chart(services: Services) -> None:
    empty = render_chart(await activity(services.db))
    w, h = png_size(empty)
    assert w > 300 and h > 200 and len(empty) > 2000
    await services.registry.register(ALICE, IMEI)
    await services.answerer.answer(Question(ALICE, "is my data lost?", 1, "dm"))
    await services.answerer.answer(Question(BOB, "best pizza in town?", 2, "dm"))
    await services.answerer.answer(Question(BOB, "where is the best pizza in town", 2, "dm"))
    await services.answerer.answer(Question(BOB, "I want a human", 2, "dm"))
    await services.conversations.flush()
    s = await compute(services.db)
    assert s.registrations == 1 and s.questions == 4 and s.by_source == {"offline": 4}
    assert s.gaps and s.gaps[0][1] == 2 and "pizza" in s.gaps[0][0]
    assert "Registrations: 1 device from 1 customer" in s.lines()
    series = await activity(services.db)
    assert sum(series.questions) == 4 and sum(series.registrations) == 1 and series.unit == "hour"


def _bars(png: bytes, colour: str) -> list[tuple[int, int]]:
    """(left edge, height) in pixels of every bar drawn in exactly this colour, left to right."""
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(io.BytesIO(png)) as image:
        pixels = image.convert("RGB").load()
        width, height = image.size
        columns = [sum(1 for y in range(height) if pixels[x, y] == rgb) for x in range(width)]
    bars: list[tuple[int, int]] = []
    for x, n in enumerate(columns):
        if n and (x == 0 or not columns[x - 1]):
            bars.append((x, n))
        elif n:
            bars[-1] = (bars[-1][0], max(bars[-1][1], n))
    return bars


def test_the_chart_shows_exactly_its_data_one_bar_per_hour_on_its_hour() -> None:
    starts = [T0 + timedelta(hours=i) for i in range(6)]
    series = Series(starts, timedelta(hours=1), [0, 3, 0, 1, 2, 0], [5, 0, 10, 0, 0, 1], [1, 0, 0, 0, 0, 1])
    png = render_chart(series)
    data = series_from_png(png)
    assert data["unit"] == "hour" and data["starts"] == [s.isoformat() for s in starts]
    assert data["registrations"] == [0, 3, 0, 1, 2, 0] and data["handovers"] == [1, 0, 0, 0, 0, 1]
    assert all(float(t).is_integer() for ticks in data["yticks"].values() for t in ticks)
    for name in COLOURS:
        values = getattr(series, name)
        bars = _bars(png, COLOURS[name])
        hours = [i for i, v in enumerate(values) if v]
        assert len(bars) == len(hours), name  # one bar per hour with activity, not three thin ones
        top = max(values)
        for (_, px), i in zip(bars, hours, strict=True):  # heights in proportion to the counts
            assert abs(px - bars[hours.index(values.index(top))][1] * values[i] / top) <= 2, (name, i)
        # each bar starts where its hour starts on the time axis (and so ends before the next hour)
        for (x, _), i in zip(bars, hours, strict=True):
            assert abs(x - data["x_pixels"][i]) <= 1, (name, i)
    # the same panels line up across measures: hour 0 and hour 5 are at the same x everywhere
    assert _bars(png, COLOURS["questions"])[0][0] == _bars(png, COLOURS["handovers"])[0][0]


async def test_a_long_incident_is_charted_per_day(database: Database) -> None:
    async with database.transaction() as s:
        for day in range(5):
            for _ in range(day + 1):
                s.add(_answer(ALICE, T0 + timedelta(days=day, hours=3)))
    series = await activity(database, now=T0 + timedelta(days=4, hours=5))
    assert series.unit == "day" and series.questions == [1, 2, 3, 4, 5]
    assert series.starts[0] == T0.replace(hour=0)
    assert series_from_png(render_chart(series))["unit"] == "day"


def test_chart_of_nothing_is_still_a_chart() -> None:
    png = render_chart(Series([], timedelta(hours=1), [], [], []))
    w, h = png_size(png)
    assert w > 300 and h > 200


async def test_open_hand_overs_and_how_long_staff_took_to_reply(database: Database) -> None:
    async with database.transaction() as s:
        for n, waited in enumerate((10, 60, 20, None)):
            s.add(
                Ticket(
                    customer_id=100 + n,
                    reason="asked",
                    summary="",
                    status="open" if n else "closed",
                    waiting_since=T0,
                    responded_at=T0 + timedelta(minutes=waited) if waited is not None else None,
                )
            )
    s_ = await compute(database, now=T0 + timedelta(hours=2))
    assert (s_.handovers, s_.open_handovers) == (4, 3)
    assert "Hand-overs: 4 (0 failed to open; 3 open now)" in s_.lines()
    assert "First staff reply: median 20 min, longest 1 h 00 min (3 hand-overs)" in s_.lines()


async def test_two_erasures_at_once_both_count(database: Database) -> None:
    async with database.transaction() as s:
        for customer in (ALICE, BOB):
            s.add(_answer(customer, T0, feedback="helpful"))

    async def erase(customer: int) -> None:
        async with database.transaction() as s:
            await fold_erased(s, customer, T0 + timedelta(hours=1))

    await asyncio.gather(erase(ALICE), erase(BOB))
    async with database.transaction() as s:
        await s.execute(AnswerRecord.__table__.delete())  # type: ignore[attr-defined]
    s_ = await compute(database, now=T0 + timedelta(hours=1))
    assert (s_.questions, s_.helpful, s_.rated, s_.resolved) == (2, 2, 2, 2)
