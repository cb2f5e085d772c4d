"""APScheduler wiring: the scheduler only triggers; what was done lives in the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.schedule_spec import parse_every
from bot.core.status import StatusService

log = logging.getLogger(__name__)


def _on_error(event: JobExecutionEvent) -> None:
    log.error("scheduled job %s failed: %r", event.job_id, event.exception)


def build_scheduler(status: StatusService, *, poll_seconds: float, summary_every: str) -> AsyncIOScheduler:
    """Create (not start) the scheduler; start it inside the running event loop."""
    scheduler = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": max(30, int(poll_seconds))},
    )
    scheduler.add_listener(_on_error, EVENT_JOB_ERROR)
    if status.fetcher is not None:
        scheduler.add_job(
            status.poll,
            IntervalTrigger(seconds=poll_seconds, jitter=min(poll_seconds * 0.1, 5.0)),
            id="status-poll",
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # poll at start, then on the interval
        )
    every = parse_every(summary_every)
    if every.seconds is not None:
        scheduler.add_job(
            status.summary_tick, IntervalTrigger(seconds=every.seconds), id="status-summary", replace_existing=True
        )
    elif every.cron is not None:
        scheduler.add_job(
            status.summary_tick, CronTrigger.from_crontab(every.cron, timezone=UTC), id="status-summary",
            replace_existing=True,
        )
    scheduler.add_job(status.reminder_tick, IntervalTrigger(seconds=60), id="status-reminder", replace_existing=True)
    return scheduler
