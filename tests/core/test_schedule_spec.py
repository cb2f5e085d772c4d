"""Schedule settings: an interval (`90m`, `6h`, `1d`), a five-field cron expression, or off."""

from __future__ import annotations

import pytest

from bot.core.schedule_spec import Every, parse_every


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60), ("90m", 5400), ("6h", 21600), ("1d", 86400), (" 1.5H ", 5400), ("2 m", 120)],
)
def test_intervals_in_every_unit(text: str, seconds: float) -> None:
    every = parse_every(text)
    assert every == Every(seconds=seconds)
    assert not every.off


@pytest.mark.parametrize("text", ["", "  ", "off", "OFF", "none", "never", "0"])
def test_off_in_all_its_spellings(text: str) -> None:
    every = parse_every(text)
    assert every.off and every.seconds is None and every.cron is None


def test_a_cron_expression_is_kept_as_written() -> None:
    every = parse_every("  0 9 * * mon-fri ")
    assert every == Every(cron="0 9 * * mon-fri")
    assert not every.off


@pytest.mark.parametrize("text", ["59s", "0.5m", "30 s"])
def test_an_interval_under_a_minute_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="at least one minute"):
        parse_every(text)


def test_an_invalid_cron_expression_names_itself() -> None:
    with pytest.raises(ValueError, match=r"'61 \* \* \* \*' is not a valid cron expression"):
        parse_every("61 * * * *")


@pytest.mark.parametrize("text", ["6 hours", "6w", "h6", "* * * *", "0 9 * * * *", "-5m"])
def test_anything_else_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="neither an interval like 6h nor a five-field cron expression"):
        parse_every(text)
