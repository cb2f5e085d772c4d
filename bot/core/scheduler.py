"""Every scheduled job, in one place. The scheduler only triggers; what was done lives in the database,
so a job that runs twice (a restart, a second instance) queues nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.outage import Outage, is_unavailable
from bot.core.schedule_spec import parse_every

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
REMINDER_SECONDS = 60
BROADCAST_PROGRESS_SECONDS = 15
TICKET_SLA_SECONDS = 60


def _error_listener(outage: Outage | None) -> Callable[[JobExecutionEvent], None]:
    def on_error(event: JobExecutionEvent) -> None:
        if outage is not None and event.exception is not None and is_unavailable(event.exception):
            # the database is away (a restart): the job runs again on its interval, and the outage is logged once
            outage.failed(f"running the scheduled job {event.job_id}", event.exception)
            return
        log.error("scheduled job %s failed: %r", event.job_id, event.exception)

    return on_error


def build_scheduler(
    *,
    poll: Job | None,
    summary: Job,
    reminder: Job,
    broadcast_progress: Job,
    ticket_sla: Job | None = None,
    poll_seconds: float,
    summary_every: str,
    outage: Outage | None = None,
) -> AsyncIOScheduler:
    """Create (not start) the scheduler; start it inside the running event loop.

    `poll` is None when no status feed is configured; `outage` is the database's (a job failing because the
    database is away is reported there, once per outage).
    """
    scheduler = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": max(30, int(poll_seconds))},
    )
    scheduler.add_listener(_error_listener(outage), EVENT_JOB_ERROR)
    if poll is not None:
        scheduler.add_job(
            poll,
            IntervalTrigger(seconds=poll_seconds, jitter=min(poll_seconds * 0.1, 5.0)),
            id="status-poll",
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # poll at start, then on the interval
        )
    every = parse_every(summary_every)
    if every.seconds is not None:
        scheduler.add_job(summary, IntervalTrigger(seconds=every.seconds), id="status-summary", replace_existing=True)
    elif every.cron is not None:
        scheduler.add_job(
            summary, CronTrigger.from_crontab(every.cron, timezone=UTC), id="status-summary", replace_existing=True
        )
    scheduler.add_job(
        reminder, IntervalTrigger(seconds=REMINDER_SECONDS), id="status-reminder", replace_existing=True
    )
    scheduler.add_job(
        broadcast_progress,
        IntervalTrigger(seconds=BROADCAST_PROGRESS_SECONDS),
        id="broadcast-progress",
        replace_existing=True,
    )
    if ticket_sla is not None:
        scheduler.add_job(
            ticket_sla, IntervalTrigger(seconds=TICKET_SLA_SECONDS), id="ticket-sla", replace_existing=True
        )
    return scheduler
