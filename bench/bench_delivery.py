"""Outbox delivery benchmark: `python bench/bench_delivery.py` from the repo root (`--help` for options).

Delivers N direct-message notifications (default 5,000) through the local sandbox Discord with its
computed rate limits on (scale 1.0: Discord's real windows, the 50 requests/s global limit, 10 DM
channel creations per 10 s), and measures, from the sandbox's own records:

* achieved rate as a fraction of the configured `DM_PER_SECOND` (target >= 90%),
* duplicates (a customer holding the same notice twice; target 0),
* lost (a customer who accepts DMs without their notice once the outbox has finished; target 0),
* requests, requests/s and 429s per bucket; customers refusing DMs are counted as unreachable.

Run 1 builds the product bot in this process exactly as `python -m bot run` does (like
tests/e2e/conftest.py). Run 2 starts `python -m bot run` as a subprocess against the same sandbox
(over 127.0.0.1) and the same database file with fresh rows, SIGKILLs it when about half the
notices have arrived, starts a new subprocess, and waits for the rest.

Each run gets its own sandbox (fresh users, DM channels, rate-limit counters and request log).
Runs are bounded by `--timeout` (seconds, per run); a run that times out reports what is still
pending separately from what is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import parse_with_smoke  # noqa: E402
from bench._delivery_world import (  # noqa: E402
    MESSAGES_ROUTE,
    Audience,
    Progress,
    Report,
    Row,
    abandon_pending,
    analyse,
    build_audience,
    dm_create_limit,
    format_report,
    outbox_status,
    seed_rows,
)
from bot.sandbox import SandboxServer  # noqa: E402

KEY = "bench-delivery-device-id-key-0123456789"
SETTING_ENV = (
    "DISCORD_TOKEN",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "GUILD_ID",
    "SUPPORT_CHANNEL_IDS",
    "STATUS_CHANNEL_ID",
    "STAFF_CHANNEL_ID",
    "STAFF_ROLE_IDS",
    "DATABASE_URL",
    "DEVICE_ID_KEY",
    "DEVICE_SERIAL_PATTERN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "STATUS_FEED_URL",
    "STATUS_FEED_FORMAT",
    "STATUS_POLL_SECONDS",
    "STATUS_SUMMARY_EVERY",
    "DM_PER_SECOND",
    "KNOWLEDGE_DIR",
    "LOG_LEVEL",
    "NEXT_UPDATE_REMINDER_MINUTES",
    "FEED_ALERT_AFTER_FAILURES",
)


async def wait_done(
    progress: Progress,
    rows: list[Row],
    db_url: str,
    deadline: float,
    *,
    alive: Any = None,
    stall_seconds: float = 120.0,
) -> str:
    """Wait until the outbox has no pending row of this run (sandbox first, then the database)."""
    ids = [r.id for r in rows]
    last_count, last_change = -1, time.monotonic()
    next_db_check = 0.0
    while True:
        count = progress.poll()
        t = time.monotonic()
        if count != last_count:
            last_count, last_change = count, t
        if alive is not None and not alive():
            return "bot exited"
        # the sandbox has an outcome for every row, or things went quiet: ask the database
        if (count >= len(rows) or t - last_change > 5.0) and t >= next_db_check:
            statuses = await outbox_status(db_url, ids)
            if all(s[0] != "pending" for s in statuses.values()):
                return "done"
            next_db_check = t + 2.0
        if t > deadline:
            return "timeout"
        if t - last_change > stall_seconds:
            return f"stalled (nothing for {stall_seconds:.0f} s)"
        await asyncio.sleep(0.25)


def bot_settings(srv: SandboxServer, audience: Audience, db_url: str, rate: float) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": srv.token,
        "DISCORD_API_BASE": srv.api_base,
        "DISCORD_GATEWAY_URL": srv.gateway_url,
        "GUILD_ID": str(audience.guild.id),
        "DATABASE_URL": db_url,
        "DEVICE_ID_KEY": KEY,
        "DM_PER_SECOND": f"{rate:g}",
        "KNOWLEDGE_DIR": str(REPO / "prompts"),
        "STATUS_POLL_SECONDS": "3600",
        "STATUS_SUMMARY_EVERY": "off",
        "LOG_LEVEL": "INFO",
    }


# -- runs 0 and 1: the bot in this process ---------------------------------------------------------


async def run_in_process(
    args: argparse.Namespace, db_url: str, *, n: int, tag: str, label: str, dm_create: int | None
) -> Report:
    with dm_create_limit(dm_create) as limit_text:
        async with SandboxServer(rate_limits=True) as srv:
            rep = await _in_process(args, srv, db_url, n=n, tag=tag, label=label)
    rep.extra["DM-channel creation limit"] = limit_text
    return rep


async def _in_process(
    args: argparse.Namespace, srv: SandboxServer, db_url: str, *, n: int, tag: str, label: str
) -> Report:
    from bot.config import Settings
    from bot.core.services import build_services
    from bot.runner import create_bot

    wall0 = time.monotonic()
    audience = await build_audience(srv, n, args.refuse_every, tag)
    rows = await seed_rows(db_url, audience, tag)
    start_index = len(srv.log.requests)
    progress = Progress(srv, {f"ob{r.id}" for r in rows})
    values = {k.lower(): v for k, v in bot_settings(srv, audience, db_url, args.rate).items()}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    services = await build_services(settings, device_key=KEY)
    bot = await create_bot(settings, services, guild_ready_timeout=0.2)
    task = asyncio.create_task(bot.start(srv.token))
    outcome = "?"
    try:
        deadline = time.monotonic() + args.timeout
        outcome = await wait_done(progress, rows, db_url, deadline, alive=lambda: not task.done())
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.close(), 15)
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        with contextlib.suppress(Exception):
            await services.close()
    statuses = await outbox_status(db_url, [r.id for r in rows])
    await abandon_pending(db_url, [r.id for r in rows])
    rep = analyse(srv, audience, rows, statuses, label=label, configured_rate=args.rate, request_start=start_index)
    rep.wall_seconds = time.monotonic() - wall0
    rep.extra["outcome"] = outcome
    if task.done() and not task.cancelled() and task.exception() is not None:
        rep.extra["bot crashed"] = repr(task.exception())
    return rep


# -- run 2: `python -m bot run` subprocesses, one SIGKILLed half-way ----------------------------------------


class BotProcess:
    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.out = (workdir / f"{name}.out.log").open("wb")
        self.err = (workdir / f"{name}.err.log").open("wb")
        self.name = name
        # cwd is the scratch directory: no `.env` of the developer's leaks into the run
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=workdir,
            env=env,
            stdout=self.out,
            stderr=self.err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.out.close()
        self.err.close()


async def run_with_kill(args: argparse.Namespace, db_url: str, workdir: Path) -> Report:
    with dm_create_limit(args.dm_create_per_10s) as limit_text:
        async with SandboxServer(rate_limits=True) as srv:
            rep = await _with_kill(args, srv, db_url, workdir)
    rep.extra["DM-channel creation limit"] = limit_text
    return rep


async def _with_kill(args: argparse.Namespace, srv: SandboxServer, db_url: str, workdir: Path) -> Report:
    wall0 = time.monotonic()
    procs: list[BotProcess] = []
    audience = await build_audience(srv, args.notifications, args.refuse_every, "r2")
    rows = await seed_rows(db_url, audience, "r2")
    start_index = len(srv.log.requests)
    progress = Progress(srv, {f"ob{r.id}" for r in rows})
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_ENV}
    env.update(bot_settings(srv, audience, db_url, args.rate))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    outcome = "?"
    kill_at = restart_at = 0.0
    # the row to kill on: the first one at or after half-way whose customer accepts DMs
    half = len(rows) // 2
    target = next(r for r in rows[half:] + rows if r.user_id not in audience.refusing)
    target_nonce = f"ob{target.id}"
    killed: list[float] = []
    if args.kill_at == "ack":
        # SIGKILL inside the sandbox, as it records the 200 for the target's message and before the
        # response is written: the message exists but the bot never learns it (the window the nonce is for)
        original = srv.log.add_request

        def add_request(rec: Any) -> None:
            original(rec)
            if (
                not killed
                and rec.method == "POST"
                and rec.route == MESSAGES_ROUTE
                and rec.status == 200
                and isinstance(rec.json, dict)
                and rec.json.get("nonce") == target_nonce
                and procs
            ):
                os.kill(procs[0].proc.pid, signal.SIGKILL)
                killed.append(time.time())

        srv.log.add_request = add_request  # type: ignore[method-assign]
    try:
        deadline = time.monotonic() + args.timeout
        procs.append(BotProcess(env, workdir, "bot-1"))
        # watch the sandbox until about half the notices have an outcome (the "ack" hook kills
        # on its own; "poll" kills from here, wherever the bot happens to be)
        while not killed and (args.kill_at == "ack" or progress.poll() < half + 7):  # off the 50-row batch edge
            if not procs[0].alive():
                if killed:
                    break
                raise RuntimeError(f"the first bot process exited early; see {workdir}/bot-1.err.log")
            if time.monotonic() > deadline:
                raise TimeoutError("the first bot process did not reach half-way in time")
            await asyncio.sleep(0.02)
        kill_at = killed[0] if killed else time.time()
        procs[0].kill()
        at_kill = progress.poll()
        restart_at = time.time()
        procs.append(BotProcess(env, workdir, "bot-2"))
        outcome = await wait_done(progress, rows, db_url, deadline, alive=procs[1].alive)
    finally:
        for p in procs:
            p.kill()
    statuses = await outbox_status(db_url, [r.id for r in rows])
    await abandon_pending(db_url, [r.id for r in rows])
    # exclude the restart gap: from the kill to the first delivery by the new process
    times = sorted(
        ev.at
        for ev in srv.log.events
        if ev.kind == "message" and ev.message is not None and ev.message.guild_id is None
    )
    after = [t for t in times if t > restart_at]
    gaps = [(kill_at, after[0])] if after else []
    # and a tail wait for the row leased by the killed process (its lease must expire first)
    if len(after) > 2 and after[-1] - after[-2] > 5.0:
        gaps.append((after[-2], after[-1]))
    rep = analyse(
        srv,
        audience,
        rows,
        statuses,
        label="run 2: `python -m bot run` SIGKILLed half-way",
        configured_rate=args.rate,
        request_start=start_index,
        gaps=gaps,
    )
    rep.wall_seconds = time.monotonic() - wall0
    rep.extra["outcome"] = outcome
    rep.extra["gaps"] = gaps
    rep.extra["kill"] = (
        f"SIGKILL ({args.kill_at}) after {at_kill} of {len(rows)} rows had an outcome"
        + (f", as the sandbox stored row {target.id}'s message" if args.kill_at == "ack" else "")
        + "; excluded from the rate: "
        + ", ".join(f"{b - a:.1f} s" for a, b in gaps)
    )
    finished = [
        q.timestamp
        for q in srv.log.requests[start_index:]
        if q.method == "POST" and q.route == MESSAGES_ROUTE and q.status in (200, 403)
    ]
    if finished:
        rep.extra["recovery"] = (
            f"the last row was finished {max(finished) - restart_at:.1f} s after the restart "
            "(a row claimed by the killed process waits for its lease, LEASE in core/outbox/worker.py, to expire)"
        )
    leftovers = sorted(r.id for r in rows if statuses.get(r.id, ("?",))[0] == "pending")
    if leftovers:
        rep.extra["pending rows"] = leftovers[:20]
    rep.extra["logs"] = f"{workdir}/bot-1.*.log, {workdir}/bot-2.*.log"
    return rep


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notifications", "-n", type=int, default=5000, help="rows in runs 1 and 2 (default 5000)")
    ap.add_argument(
        "--rate",
        type=float,
        default=15.0,
        help="DM_PER_SECOND given to the bot (default 15: the bot makes 3 requests per DM, so 45 "
        "requests/s, under Discord's global 50/s)",
    )
    ap.add_argument(
        "--refuse-every",
        type=int,
        default=40,
        help="every k-th customer refuses DMs (default 40, i.e. 2.5%%; 0 for none)",
    )
    ap.add_argument(
        "--dm-create-per-10s",
        type=int,
        default=1000,
        help="DM-channel creations the sandbox allows per 10 s in runs 1 and 2 (default 1000, i.e. not "
        "binding; the sandbox models Discord with 10, which caps first DMs at 1/s: run 0 shows it)",
    )
    ap.add_argument(
        "--probe-notifications",
        type=int,
        default=60,
        help="rows in run 0, at the sandbox's own DM-channel creation limit (default 60; 0 skips)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per run (default: 2 x rows/rate + 120; run 0: 2 x rows + 120)",
    )
    ap.add_argument("--runs", default="0,1,2", help="which runs, comma-separated (default 0,1,2)")
    ap.add_argument(
        "--kill-at",
        choices=("ack", "poll"),
        default="ack",
        help="run 2: SIGKILL the bot as the sandbox stores the half-way row's message, before the bot sees "
        "the answer (ack, default), or when the watcher sees half the rows done (poll)",
    )
    ap.add_argument("--workdir", type=Path, default=None, help="keep the database and bot logs here")
    args = parse_with_smoke(ap, notifications=20, probe_notifications=4, refuse_every=5)
    runs = {r.strip() for r in args.runs.split(",") if r.strip()}
    timeout = args.timeout
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite+aiosqlite:///{workdir}/delivery.db"
    print(
        f"bench_delivery: DM_PER_SECOND={args.rate:g}; {args.notifications} notifications in runs 1-2, "
        f"{args.probe_notifications} in run 0; every {args.refuse_every}th customer refuses DMs; "
        f"scratch {workdir}",
        flush=True,
    )
    reports: list[Report] = []
    if "0" in runs and args.probe_notifications > 0:
        args.timeout = timeout or 2 * args.probe_notifications + 120
        rep = await run_in_process(
            args,
            db_url,
            n=args.probe_notifications,
            tag="r0",
            dm_create=None,
            label="run 0: in-process bot, sandbox limits exactly as shipped",
        )
        print(format_report(rep), flush=True)
        reports.append(rep)
    args.timeout = timeout or 2 * args.notifications / args.rate + 120
    if "1" in runs:
        rep = await run_in_process(
            args,
            db_url,
            n=args.notifications,
            tag="r1",
            dm_create=args.dm_create_per_10s,
            label="run 1: in-process bot, no kill",
        )
        print(format_report(rep), flush=True)
        reports.append(rep)
    if "2" in runs:
        rep = await run_with_kill(args, db_url, workdir)
        print(format_report(rep), flush=True)
        reports.append(rep)
    ok = all(r.duplicates == 0 and r.lost == 0 for r in reports)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
