"""The incident's activity per hour (or per day), and a chart of it that can be checked against its data.

Each measure gets its own panel, with whole-number ticks and one bar per hour starting on its hour. The
series is written into the PNG as text, with the pixel position of each hour, so a test can read back what
was drawn and measure the bars.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import AnswerRecord, Device, StatCount, Ticket, utcnow
from bot.core.stats import NOT_QUESTIONS, hour_key

DAYS_AFTER_HOURS = 72  # a longer span is charted per day
COLOURS = {"registrations": "#1f77b4", "questions": "#2ca02c", "handovers": "#d62728"}  # read back by tests
LABELS = {"registrations": "registrations", "questions": "questions", "handovers": "hand-overs"}


# -- chart --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    starts: list[datetime]  # the start of each bucket, UTC
    step: timedelta  # one hour, or one day
    registrations: list[int]
    questions: list[int]
    handovers: list[int]

    @property
    def unit(self) -> str:
        return "day" if self.step >= timedelta(days=1) else "hour"

    def as_json(self, **extra: Any) -> str:
        return json.dumps(
            {
                "unit": self.unit,
                "starts": [s.isoformat() for s in self.starts],
                **{name: getattr(self, name) for name in COLOURS},
                **extra,
            }
        )


def _floor(t: datetime, step: timedelta) -> datetime:
    t = t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return t.replace(hour=0) if step >= timedelta(days=1) else t


async def activity(db: Database, *, max_days: int = 30, now: datetime | None = None) -> Series:
    """Counts per hour from the first event to now, or per day when that spans more than three days."""
    now = now or utcnow()
    since = now - timedelta(days=max_days)
    stamps: dict[str, Counter[datetime]] = {name: Counter() for name in COLOURS}
    async with db.sessions() as session:
        for name, column in (
            ("registrations", Device.created_at),
            ("questions", AnswerRecord.created_at),
            ("handovers", Ticket.created_at),
        ):
            query = select(col(column)).where(col(column) >= since)
            if name == "questions":
                query = query.where(col(AnswerRecord.source).not_in(NOT_QUESTIONS))
            stamps[name].update(await session.scalars(query))
        kept = (
            await session.execute(
                select(col(StatCount.hour), col(StatCount.name), col(StatCount.value)).where(
                    col(StatCount.name).in_(list(COLOURS)), col(StatCount.hour) >= hour_key(since)
                )
            )
        ).all()
        for hour, name, value in kept:
            stamps[name][datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC)] += int(value)
    everything = [t for c in stamps.values() for t in c]
    first = min(everything) if everything else now
    step = timedelta(days=1) if now - first > timedelta(hours=DAYS_AFTER_HOURS) else timedelta(hours=1)
    start, end = _floor(first, step), _floor(now, step)
    starts = [start + step * i for i in range(int((end - start) / step) + 1)]

    def bucket(c: Counter[datetime]) -> list[int]:
        per: Counter[datetime] = Counter()
        for t, n in c.items():
            per[_floor(t, step)] += n
        return [per.get(s, 0) for s in starts]

    return Series(starts, step, *(bucket(stamps[name]) for name in COLOURS))


def render_chart(series: Series, *, title: str = "Incident activity") -> bytes:
    """A PNG: one panel per measure, each bar covering its own hour (or day), integer ticks only.

    The series is also written into the PNG as text (key "series"), so what the picture shows can be
    checked against the data it was drawn from.
    """
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on servers
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = list(COLOURS)
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 6), dpi=100, sharex=True)
    try:
        total = sum(sum(getattr(series, n)) for n in names)
        unit = series.unit
        x: list[float] = []
        if total == 0:
            for ax in axes:
                ax.set_axis_off()
            axes[1].text(
                0.5, 0.5, "No activity recorded yet", ha="center", va="center", fontsize=14, transform=axes[1].transAxes
            )
        else:
            width = series.step / timedelta(days=1)  # matplotlib's date unit is the day
            x = [float(mdates.date2num(s)) for s in series.starts]
            for ax, name in zip(axes, names, strict=True):
                values = getattr(series, name)
                # each bar starts at its hour and fills 80% of it: no bar straddles two hours
                ax.bar(x, values, width=width * 0.8, align="edge", color=COLOURS[name], linewidth=0)
                ax.set_ylim(0, max(values) * 1.15 or 1)  # headroom: the tallest bar stays visible
                ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1, nbins=4))
                ax.set_ylabel(f"{LABELS[name]}\nper {unit}", fontsize=9)
                ax.grid(axis="y", alpha=0.3)
                ax.set_xlim(x[0] - width * 0.1, x[-1] + width)
            # one tick at the start of every n-th bucket, so each label sits on the edge its bar starts from
            every = max(1, len(x) // 8)
            if unit == "day":
                locator: Any = mdates.DayLocator(interval=every)
                fmt = "%d %b"
            else:
                locator = (
                    mdates.HourLocator(byhour=range(0, 24, every))  # 00:00, 03:00, ...: easy to read
                    if 24 % every == 0
                    else mdates.HourLocator(interval=every)
                )
                fmt = "%d %b %H:%M"
            axes[-1].xaxis.set_major_locator(locator)
            axes[-1].xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=UTC))
            fig.autofmt_xdate()
        axes[0].set_title(f"{title} per {unit} (UTC)")
        fig.canvas.draw()  # lay out, so positions below are the saved image's pixels
        x_pixels = [round(float(axes[-1].transData.transform((v, 0))[0]), 1) for v in x] if total else []
        yticks = {
            name: [float(t) for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
            for ax, name in zip(axes, names, strict=True)
            if ax.axison
        }
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"series": series.as_json(yticks=yticks, x_pixels=x_pixels)})
        return buf.getvalue()
    finally:
        plt.close(fig)


def series_from_png(png: bytes) -> dict[str, Any]:
    """The series a chart was drawn from (written into it by render_chart)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        text = getattr(image, "text", {})
        return json.loads(text["series"])
