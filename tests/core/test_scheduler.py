from __future__ import annotations

from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.scheduler import Job, build_scheduler


async def poll() -> None: ...
async def summary() -> None: ...
async def reminder() -> None: ...
async def progress() -> None: ...


def jobs(poll_job: Job | None, every: str) -> dict[str, Any]:
    scheduler = build_scheduler(
        poll=poll_job,
        summary=summary,
        reminder=reminder,
        broadcast_progress=progress,
        poll_seconds=120,
        summary_every=every,
    )
    return {job.id: job for job in scheduler.get_jobs()}


def test_every_job_is_scheduled_in_one_place() -> None:
    found = jobs(poll, "6h")
    assert sorted(found) == ["broadcast-progress", "status-poll", "status-reminder", "status-summary"]
    by_id = {k: (j.func, j.trigger) for k, j in found.items()}
    assert by_id["status-poll"][0] is poll and by_id["status-summary"][0] is summary
    assert by_id["status-reminder"][0] is reminder and by_id["broadcast-progress"][0] is progress
    poll_trigger = by_id["status-poll"][1]
    assert isinstance(poll_trigger, IntervalTrigger) and poll_trigger.interval.total_seconds() == 120
    assert by_id["status-summary"][1].interval.total_seconds() == 6 * 3600
    assert by_id["broadcast-progress"][1].interval.total_seconds() == 15


def test_no_feed_no_poll_and_the_summary_follows_its_setting() -> None:
    assert "status-poll" not in jobs(None, "6h")
    assert "status-summary" not in jobs(poll, "off")
    cron = jobs(poll, "0 */4 * * *")["status-summary"]
    assert isinstance(cron.trigger, CronTrigger)
