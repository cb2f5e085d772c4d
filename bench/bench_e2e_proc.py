"""End-to-end cost measured from outside: each bot in its own process, the sandbox and the customers in this one.

    python bench/bench_e2e_proc.py [--customers 80] [--messages 3000] [--inflight 64] [--profile]

The product bot (built as `python -m bot run` builds it, offline answerer) and a do-nothing discord.py bot
(replies to every DM with a fixed text) run one after the other as child processes (bench/_bot_process.py)
against the same sandbox, with rate limits off, and the same customers asking by DM in a closed loop.
Unlike bench/bench_e2e.py, the bot's event loop and CPU are its own: the sandbox and the customers do not
slow it down. `--profile` writes a cProfile of the product's process to bench/out/e2e_proc_product.prof
and prints its top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import parse_with_smoke, pct  # noqa: E402
from bench._e2e_support import PhaseResult, ReplyTracker, build_world, closed_loop, load_questions  # noqa: E402
from bot.sandbox import SandboxServer  # noqa: E402


async def start_child(kind: str, env: dict[str, str], profile: Path | None) -> asyncio.subprocess.Process:
    child_env = {**os.environ, **env}
    if profile is not None:
        child_env["BENCH_PROFILE"] = str(profile)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(REPO / "bench" / "_bot_process.py"), kind, cwd=REPO, env=child_env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    if line.strip() != b"READY":
        proc.kill()
        raise RuntimeError(f"{kind} bot did not start: {line!r}")
    return proc


async def stop_child(proc: asyncio.subprocess.Process) -> None:
    proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()


def row(r: PhaseResult) -> str:
    return (
        f"  {r.name}: {r.answered}/{r.sent} answered in {r.seconds:.1f} s = {r.rate:.1f}/s; "
        f"p50 {pct(r.latencies_ms, 0.5):.1f} ms, p99 {pct(r.latencies_ms, 0.99):.1f} ms, lost {r.lost}"
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=80)
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--inflight", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    args = parse_with_smoke(ap, customers=4, messages=20, inflight=4, warmup=4)
    questions = load_questions()
    srv = SandboxServer(rate_limits=False)
    await srv.start()
    results: dict[str, PhaseResult] = {}
    profile = REPO / "bench" / "out" / "e2e_proc_product.prof" if args.profile else None
    if profile is not None:
        profile.parent.mkdir(exist_ok=True)
    try:
        world = await build_world(srv, args.customers)
        tracker = ReplyTracker(srv)
        env = world.demo.settings_env()
        for kind in ("baseline", "product"):
            proc = await start_child(kind, env, profile if kind == "product" else None)
            try:
                common = {"inflight": args.inflight, "answer_timeout": 30.0, "phase_timeout": 600.0}
                await closed_loop(world, tracker, questions, name=f"{kind} warm-up", total=args.warmup,
                                  seed=args.seed, **common)
                results[kind] = await closed_loop(world, tracker, questions, name=kind, total=args.messages,
                                                  seed=args.seed + 1, **common)
                await asyncio.sleep(0.3)
            finally:
                await stop_child(proc)
    finally:
        await srv.stop()
    print(f"{args.customers} customers, {args.messages} DM questions, at most {args.inflight} in flight; "
          f"each bot in its own process ({time.strftime('%H:%M:%S')})")
    for kind in ("baseline", "product"):
        print(row(results[kind]))
    ratio = results["product"].rate / results["baseline"].rate if results["baseline"].rate else float("nan")
    print(f"  product / do-nothing throughput: {ratio:.2f} (target >= 0.33, aim 0.5)")
    if profile is not None and profile.exists():
        out = io.StringIO()
        pstats.Stats(str(profile), stream=out).sort_stats("tottime").print_stats(25)
        print(f"\n[product process, cProfile by own time; file {profile.relative_to(REPO)}]")
        print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
