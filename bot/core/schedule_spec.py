"""Parsing of schedule settings: `6h`, `90m`, `45s`, `1d`, a five-field cron expression, or `off`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Every:
    seconds: float | None = None  # an interval
    cron: str | None = None  # or a crontab expression

    @property
    def off(self) -> bool:
        return self.seconds is None and self.cron is None


def parse_every(value: str) -> Every:
    text = value.strip()
    if text.lower() in ("", "off", "none", "never", "0"):
        return Every()
    m = _INTERVAL.match(text)
    if m:
        seconds = float(m.group(1)) * _UNITS[m.group(2).lower()]
        if seconds < 60:
            raise ValueError("an interval must be at least one minute")
        return Every(seconds=seconds)
    if len(text.split()) == 5:
        try:
            CronTrigger.from_crontab(text, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid cron expression ({exc})") from None
        return Every(cron=text)
    raise ValueError(f"{text!r} is neither an interval like 6h nor a five-field cron expression")
