"""Several instances benchmark: `python bench/bench_instances.py` from the repo root (`--help` for options).

N simulated customers (default 10,000) each ask one question by DM, in bursts, with Discord's limits off
(sandbox rate limits and the bot's own pacing both off), answered offline. The same traffic is served by
one `python -m bot run` process, then by two processes on the same token and the same PostgreSQL
database (each run gets a fresh database and a fresh sandbox). Reported per run, from the sandbox's own
records: answers/s (first question to last answer), latency p50/p99 (question to its answer), duplicate
and missing answers, and the peak RSS of each process (psutil, sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import parse_with_smoke, pct  # noqa: E402
from bench._delivery_world import build_audience  # noqa: E402
from bench.bench_delivery import SETTING_ENV, BotProcess  # noqa: E402
from bot.sandbox import SandboxServer  # noqa: E402

KEY = "bench-instances-device-id-key-0123456789"
QUESTIONS = ("is my data lost?", "when will my photos be back?", "how do I find my IMEI?", "will I get compensation?")


@contextlib.asynccontextmanager
async def fresh_database() -> Any:
    import asyncpg

    name = "bench_" + uuid.uuid4().hex[:10]
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="test")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="test")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def wait_ready(proc: BotProcess, workdir: Path, timeout: float = 120.0) -> None:
    log = workdir / f"{proc.name}.err.log"
    deadline = time.monotonic() + timeout
    while "connected as" not in (log.read_text(errors="replace") if log.exists() else ""):
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited; see {log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{proc.name} not ready; see {log}")
        await asyncio.sleep(0.1)


async def run(n_procs: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    async with fresh_database() as db_url, SandboxServer(rate_limits=False) as srv:
        audience = await build_audience(srv, args.customers, 0, f"p{n_procs}")
        env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_ENV}
        env.update(
            {
                "DISCORD_TOKEN": srv.token,
                "DISCORD_API_BASE": srv.api_base,
                "DISCORD_GATEWAY_URL": srv.gateway_url,
                "GUILD_ID": str(audience.guild.id),
                "DATABASE_URL": db_url,
                "DEVICE_ID_KEY": KEY,
                "KNOWLEDGE_DIR": str(REPO / "prompts"),
                "STATUS_SUMMARY_EVERY": "off",
                "DISCORD_GLOBAL_RATE_LIMIT": "0",
                "QUESTIONS_PER_MINUTE": "600",
                "LOG_LEVEL": "INFO",
                "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                "PYTHONUNBUFFERED": "1",
            }
        )
        procs = [BotProcess(env, workdir, f"run{n_procs}-bot{i + 1}") for i in range(n_procs)]
        peak = [0] * n_procs
        sampling = True

        async def sample() -> None:
            handles = [psutil.Process(p.proc.pid) for p in procs]
            while sampling:
                for i, h in enumerate(handles):
                    with contextlib.suppress(psutil.Error):
                        peak[i] = max(peak[i], h.memory_info().rss)
                await asyncio.sleep(0.2)

        sampler = asyncio.get_running_loop().create_task(sample())
        try:
            await asyncio.gather(*(wait_ready(p, workdir) for p in procs))
            d = srv.driver
            bot_id = d.bot_user.id
            dm_of = {d.dm_channel(u).id: u.id for u in audience.users}
            asked: dict[int, float] = {}
            answered: dict[int, float] = {}
            answers_per_customer: dict[int, int] = {}
            cursor = len(srv.log.events)

            def collect() -> None:
                nonlocal cursor
                events = srv.log.events
                for ev in events[cursor:]:
                    m = ev.message
                    if ev.kind == "message" and m is not None and m.author_id == bot_id and m.channel_id in dm_of:
                        cid = dm_of[m.channel_id]
                        answers_per_customer[cid] = answers_per_customer.get(cid, 0) + 1
                        answered.setdefault(cid, ev.at)
                cursor = len(events)

            deadline = time.monotonic() + args.timeout
            for start in range(0, len(audience.users), args.burst):
                for i, u in enumerate(audience.users[start : start + args.burst]):
                    await d.user_says(u, "dm", QUESTIONS[(start + i) % len(QUESTIONS)])
                    asked[u.id] = time.time()
                await asyncio.sleep(args.pause)
                collect()
            while len(answered) < len(asked) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                collect()
            await asyncio.sleep(2.0)  # whatever a second instance would add arrives by now
            collect()
        finally:
            sampling = False
            await sampler
            for p in procs:
                p.kill()
    latencies = [(answered[c] - asked[c]) * 1000 for c in answered]
    first, last = min(asked.values()), max(answered.values(), default=time.time())
    return {
        "processes": n_procs,
        "customers": len(asked),
        "answered": len(answered),
        "missing": len(asked) - len(answered),
        "duplicates": sum(n - 1 for n in answers_per_customer.values() if n > 1),
        "rate": len(answered) / max(last - first, 1e-9),
        "p50": pct(latencies, 0.50),
        "p99": pct(latencies, 0.99),
        "rss_mb": [round(b / 2**20) for b in peak],
    }


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", "-n", type=int, default=10_000, help="customers, one DM question each")
    ap.add_argument("--burst", type=int, default=500, help="questions per burst (default 500)")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between bursts (default 1)")
    ap.add_argument("--processes", default="1,2", help="process counts to compare (default 1,2)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run before giving up")
    ap.add_argument("--workdir", type=Path, help="where the bot processes' logs go (default: a temp folder)")
    args = parse_with_smoke(ap, customers=40, burst=20, pause=0.2, timeout=120.0)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-instances-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{args.customers} customers, bursts of {args.burst} every {args.pause:g} s, limits off, offline answers")
    for n in (int(x) for x in args.processes.split(",")):
        r = await run(n, args, workdir)
        print(
            f"{r['processes']} process(es): {r['rate']:.1f} answers/s, latency p50 {r['p50']:.0f} ms, "
            f"p99 {r['p99']:.0f} ms; answered {r['answered']}/{r['customers']}, missing {r['missing']}, "
            f"duplicates {r['duplicates']}; peak RSS per process (MB): {r['rss_mb']}"
        )
    print(f"logs: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
