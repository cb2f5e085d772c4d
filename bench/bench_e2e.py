"""End-to-end benchmark: customers -> sandbox Discord -> product bot -> sandbox, vs a do-nothing discord.py bot.

Run from the repo root:  .venv/bin/python bench/bench_e2e.py            (about 1-2 minutes on 2 cores)
                         .venv/bin/python bench/bench_e2e.py --help

Section 1, limits off (SandboxServer(rate_limits=False)): `--customers` sandbox users (guild members) ask
realistic questions by DM in a closed loop (each waits for its answer before asking again, at most
`--inflight` outstanding) for `--messages` messages in total. Measured per message: from just before
`driver.user_says` to the moment the sandbox records the bot's reply in that DM channel (hooked on the
sandbox's event log, same clock). The product bot and a do-nothing discord.py bot (same intents, replies
to every DM with a fixed text, allowed_mentions=none) run one after the other through the SAME sandbox
and the same customers. A second, light-load pass (one question in flight) gives the unloaded latency.
Then a cProfile pass over the product shows where its time goes.

Section 2, limits on (SandboxServer(rate_limits=True, rate_limit_scale=1.0), Discord's 50 requests/s
global limit and per-route buckets): `--rl-customers` customers all DM a question at once. Measured from
the sandbox's request log: the bot's accepted REST requests per second over the busy window (interaction
callbacks and webhooks excluded), as a fraction of the 50/s allowance, and 429s per bucket.

Everything runs in one process and one event loop (sandbox, bot, customers), as the e2e tests do, so
the sandbox's and the simulated customers' CPU is part of every figure, for both bots alike.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import platform
import pstats
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import discord  # noqa: E402

from bench._common import parse_with_smoke, pct  # noqa: E402
from bench._e2e_support import (  # noqa: E402
    CountingHandler,
    PhaseResult,
    ReplyTracker,
    Runner,
    Timers,
    World,
    build_world,
    closed_loop,
    install_global_pacer,
    load_questions,
    open_loop,
    start_baseline,
    start_product,
)
from bot.sandbox import SandboxServer  # noqa: E402
from bot.sandbox.ratelimit import GLOBAL_EXEMPT_PREFIXES  # noqa: E402

GLOBAL_ALLOWANCE = 50.0


def lat(values: list[float]) -> str:
    if not values:
        return "no answers"
    return (
        f"p50 {pct(values, 0.50):7.1f} ms  p99 {pct(values, 0.99):7.1f} ms  "
        f"mean {statistics.fmean(values):7.1f} ms  max {max(values):7.1f} ms"
    )


def row(r: PhaseResult) -> str:
    extra = f", {r.lost} LOST (no answer within timeout)" if r.lost else ""
    return (
        f"  {r.name:<34} {r.answered:5d}/{r.sent:<5d} answered in {r.seconds:6.2f} s = "
        f"{r.rate:7.1f} answers/s{extra}\n  {'':<34} {lat(r.latencies_ms)}"
    )


# -- section 1 --------------------------------------------------------------------------------------


async def run_bot_phases(
    kind: str, srv: SandboxServer, world: World, tracker: ReplyTracker, questions: list[str], args: argparse.Namespace
) -> tuple[PhaseResult, PhaseResult, Runner]:
    # limits off: the bot's own pacing of Discord's 50/s is off too, to measure the bot's overhead
    runner = await (
        start_product(srv, world, discord_global_rate_limit=0) if kind == "product" else start_baseline(srv)
    )
    common = dict(seed=args.seed, answer_timeout=args.answer_timeout, phase_timeout=args.phase_timeout)
    await closed_loop(
        world, tracker, questions, name=f"{kind} warm-up", total=args.warmup, inflight=args.inflight, **common
    )
    heavy = await closed_loop(
        world,
        tracker,
        questions,
        name=f"{kind}: {args.inflight} in flight",
        total=args.messages,
        inflight=args.inflight,
        **common,
    )
    light = await closed_loop(
        world, tracker, questions, name=f"{kind}: 1 in flight", total=args.light_messages, inflight=1, **common
    )
    steady = await open_loop(
        world,
        tracker,
        questions,
        name=f"{kind}: {args.open_rate:.0f}/s offered",
        total=args.messages,
        rate=args.open_rate,
        seed=args.seed,
        answer_timeout=args.answer_timeout,
    )
    return heavy, light, steady, runner


async def experiments(
    runner: Runner, world: World, tracker: ReplyTracker, questions: list[str], args: argparse.Namespace
) -> str:
    """What-if passes on the running product (instance patches, undone afterwards): the effect of
    (a) serving status.snapshot() from memory for 1 s, (b) not sending the typing indicator."""
    bot: Any = runner.bot
    status = bot.services.status
    out = io.StringIO()
    out.write(
        f"\n[what-if experiments on the product, {args.breakdown_messages} questions each at {args.inflight} "
        "in flight (bench-only instance patches, NOT the product as shipped)]\n"
    )
    original_snapshot = status.snapshot
    typing_patched_in_instance = "send_typing" in vars(bot.http)
    original_typing = bot.http.send_typing

    def restore() -> None:
        status.snapshot = original_snapshot
        if typing_patched_in_instance:
            bot.http.send_typing = original_typing
        elif "send_typing" in vars(bot.http):
            del bot.http.send_typing
    cache: dict[str, tuple[float, asyncio.Task[object]]] = {}

    async def cached_snapshot() -> object:
        # 1 s TTL and single-flight: concurrent callers share one in-flight query (no stampede on expiry)
        hit = cache.get("s")
        now = time.monotonic()
        if hit is None or now - hit[0] >= 1.0 or (hit[1].done() and hit[1].exception() is not None):
            hit = cache["s"] = (now, asyncio.ensure_future(original_snapshot()))
        return await asyncio.shield(hit[1])

    async def no_typing(channel_id: object) -> None:
        return None

    variants = (
        ("as shipped", False, False),
        ("status.snapshot cached 1 s, single-flight", True, False),
        ("no typing indicator", False, True),
        ("both", True, True),
    )
    try:
        for name, cache_it, skip_typing in variants:
            if cache_it:
                status.snapshot = cached_snapshot
            if skip_typing:
                bot.http.send_typing = no_typing
            try:
                r = await closed_loop(
                    world,
                    tracker,
                    questions,
                    name=f"product, {name}",
                    total=args.breakdown_messages,
                    inflight=args.inflight,
                    seed=args.seed + 3,
                    answer_timeout=args.answer_timeout,
                    phase_timeout=args.phase_timeout,
                )
            finally:
                restore()
            out.write(row(r) + "\n")
    finally:
        restore()
    return out.getvalue()


async def breakdown(
    runner: Runner, world: World, tracker: ReplyTracker, questions: list[str], args: argparse.Namespace
) -> str:
    """Wall time of the product's steps per question, unloaded and loaded (extra passes, not the figures above)."""
    timers = Timers()
    timers.instrument_product(runner.bot)
    out = io.StringIO()
    out.write(
        "\n[product breakdown: wall time per call of each step (includes waiting for locks/threads/"
        "the loop), extra passes with timers installed]\n"
    )
    try:
        for inflight, total in ((1, args.light_messages), (args.inflight, args.breakdown_messages)):
            timers.reset()
            r = await closed_loop(
                world,
                tracker,
                questions,
                name=f"product breakdown, {inflight} in flight",
                total=total,
                inflight=inflight,
                seed=args.seed + 2,
                answer_timeout=args.answer_timeout,
                phase_timeout=args.phase_timeout,
            )
            out.write(row(r) + "\n")
            out.write(
                f"    {'step':<44} {'calls':>6} {'mean ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'sum/answer ms':>14}\n"
            )
            for label, v in timers.samples.items():
                if not v:
                    continue
                per_answer = sum(v) / max(1, r.answered)
                out.write(
                    f"    {label:<44} {len(v):6d} {statistics.fmean(v):9.2f} {pct(v, 0.5):8.2f} "
                    f"{pct(v, 0.99):8.2f} {per_answer:14.2f}\n"
                )
    finally:
        timers.undo()
    return out.getvalue()


def group_of(filename: str) -> str:
    f = filename.replace("\\", "/")
    for key, label in (
        ("/bot/sandbox/", "sandbox (the fake Discord server)"),
        ("/bench/", "bench driver (simulated customers)"),
        ("/bot/", "product code (bot/)"),
        ("/discord/", "discord.py"),
        ("/sqlalchemy/", "SQLAlchemy"),
        ("/sqlmodel/", "SQLAlchemy"),
        ("/aiosqlite/", "aiosqlite (event-loop side)"),
        ("/aiohttp/", "aiohttp (client+server)"),
        ("/yarl/", "aiohttp (client+server)"),
        ("/multidict/", "aiohttp (client+server)"),
        ("/asyncio/", "asyncio event loop"),
        ("/json/", "json"),
        ("/re/", "re"),
        ("/logging/", "logging"),
    ):
        if key in f:
            return label
    if f.startswith("~") or f == "":
        return "builtins / C calls"
    return "other stdlib/libs"


def profile_report(prof: cProfile.Profile, top: int, out: Path | None) -> str:
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        groups[group_of(filename)] += tt
    buf = io.StringIO()
    buf.write(f"  own (tottime) CPU by component, {total:.2f} s profiled on the event-loop thread:\n")
    for g, tt in sorted(groups.items(), key=lambda kv: -kv[1]):
        buf.write(f"    {tt / total * 100:5.1f}%  {tt:6.2f} s  {g}\n")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(str(out))
        buf.write(f"  (full profile saved to {out.relative_to(REPO)}; open with python -m pstats)\n")
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(top)
    buf.write(f"\n  top {top} functions by own time:\n")
    buf.write(_trim_pstats(s.getvalue()))
    s = io.StringIO()
    product = re.escape(str(REPO)) + r"/bot/(core|exts|ui|bot\.py)"
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(product, top)
    buf.write(f"\n  product functions (bot/core, bot/exts, bot/ui, bot/bot.py) by cumulative time, top {top}:\n")
    buf.write(_trim_pstats(s.getvalue()))
    return buf.getvalue()


def _trim_pstats(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    site = str(REPO / ".venv/lib/python3.11/site-packages") + "/"
    return (
        "\n".join("    " + ln.replace(site, "").replace(str(REPO) + "/", "") for ln in lines[start:] if ln.strip())
        + "\n"
    )


async def section1(args: argparse.Namespace, questions: list[str]) -> None:
    print(
        f"\n=== 1. Limits off: {args.customers} customers, {args.messages} DM questions, "
        f"closed loop, at most {args.inflight} in flight ==="
    )
    srv = SandboxServer(rate_limits=False)
    await srv.start()
    results: dict[str, tuple[PhaseResult, PhaseResult, PhaseResult]] = {}
    extra_msgs: dict[str, int] = {}
    try:
        world = await build_world(srv, args.customers)
        tracker = ReplyTracker(srv)
        order = ["baseline", "product"] if args.order == "baseline-first" else ["product", "baseline"]
        for kind in order:
            before_unmatched = tracker.unmatched
            heavy, light, steady, runner = await run_bot_phases(kind, srv, world, tracker, questions, args)
            results[kind] = (heavy, light, steady)
            if kind == "product" and args.breakdown:
                breakdown_text = await breakdown(runner, world, tracker, questions, args)
            if kind == "product" and args.experiments:
                experiments_text = await experiments(runner, world, tracker, questions, args)
            if kind == "product" and args.profile_messages > 0:
                prof = cProfile.Profile()
                prof.enable()
                profiled = await closed_loop(
                    world,
                    tracker,
                    questions,
                    name="product (profiled)",
                    total=args.profile_messages,
                    inflight=args.inflight,
                    seed=args.seed + 1,
                    answer_timeout=args.answer_timeout,
                    phase_timeout=args.phase_timeout,
                )
                prof.disable()
                prof_text = profile_report(
                    prof,
                    args.profile_top,
                    None if args.no_profile_file else REPO / "bench" / "out" / "e2e_product.prof",
                )
                prof_row = row(profiled)
            await asyncio.sleep(0.3)  # a late second reply would show up as unmatched
            extra_msgs[kind] = tracker.unmatched - before_unmatched
            await runner.close()
    finally:
        await srv.stop()

    for kind in ("baseline", "product"):
        print(f"\n[{'do-nothing discord.py bot' if kind == 'baseline' else 'product bot (offline answerer)'}]")
        for r in results[kind]:
            print(row(r))
        if extra_msgs[kind]:
            print(
                f"  note: {extra_msgs[kind]} bot message(s) not matched to a pending question "
                "(second parts, escalation notes, or late answers)"
            )
    ph, pl, ps = results["product"]
    bh, bl, bs = results["baseline"]
    ratio = ph.rate / bh.rate if bh.rate else float("nan")
    p99 = pct(ph.latencies_ms, 0.99)
    p99_light = pct(pl.latencies_ms, 0.99)
    print("\n[summary, limits off]")
    print(
        f"  throughput  product {ph.rate:.1f}/s vs do-nothing {bh.rate:.1f}/s: ratio {ratio:.2f} "
        f"(target >= 0.33: {'MET' if ratio >= 1 / 3 else 'MISSED'})"
    )
    print(
        f"  p99 latency at {args.inflight} in flight: product {p99:.1f} ms, do-nothing "
        f"{pct(bh.latencies_ms, 0.99):.1f} ms (target < 100 ms: {'MET' if p99 < 100 else 'MISSED'})"
    )
    print(
        f"  p99 latency at 1 in flight:   product {p99_light:.1f} ms, do-nothing "
        f"{pct(bl.latencies_ms, 0.99):.1f} ms (target < 100 ms: {'MET' if p99_light < 100 else 'MISSED'})"
    )
    p99_steady = pct(ps.latencies_ms, 0.99)
    print(
        f"  p99 latency with {args.customers} customers asking {args.open_rate:.0f}/s in all (open loop): product "
        f"{p99_steady:.1f} ms, do-nothing {pct(bs.latencies_ms, 0.99):.1f} ms "
        f"(target < 100 ms: {'MET' if p99_steady < 100 else 'MISSED'})"
    )
    print(
        f"  per-answer cost (1 / throughput): product {1000 / ph.rate:.2f} ms, do-nothing "
        f"{1000 / bh.rate:.2f} ms, so the product adds ~{1000 / ph.rate - 1000 / bh.rate:.2f} ms of "
        "event-loop time per answer"
        if ph.rate and bh.rate
        else ""
    )
    if args.breakdown:
        print(breakdown_text)
    if args.experiments:
        print(experiments_text)
    if args.profile_messages > 0:
        print(
            f"\n[where the product's time goes: cProfile over {args.profile_messages} more questions "
            f"(cProfile slows everything ~2x; proportions matter, not the rate)]"
        )
        print(prof_row)
        print(prof_text)


# -- section 2 --------------------------------------------------------------------------------------


async def burst(kind: str, args: argparse.Namespace, questions: list[str], pacer: bool) -> None:
    label = {"product": "product bot", "baseline": "do-nothing discord.py bot"}[kind]
    label += (
        f" + client-side pacer, 50 requests per {args.rl_pacer_window:g} s sliding window (experiment)" if pacer else ""
    )
    srv = SandboxServer(rate_limits=True, rate_limit_scale=1.0)
    await srv.start()
    runner: Runner | None = None
    try:
        world = await build_world(srv, args.rl_customers)
        tracker = ReplyTracker(srv)
        runner = await (start_product(srv, world) if kind == "product" else start_baseline(srv))
        if pacer:
            install_global_pacer(runner.bot, int(GLOBAL_ALLOWANCE), args.rl_pacer_window)
        await asyncio.sleep(1.2)  # let the start-up requests' global window expire
        d = srv.driver
        hits_before = Counter(d.rate_limit_hits)
        t0_wall = time.time()
        t0 = time.perf_counter()
        futs = []
        for i, u in enumerate(world.customers):
            futs.append(tracker.expect(world.dms[u.id].id))
            await d.user_says(u, "dm", questions[(i + args.seed) % len(questions)])
        dispatched = time.perf_counter() - t0
        # wait for every answer; stop early once the bot has gone quiet (no request for rl_quiet seconds)
        deadline = t0 + args.rl_timeout
        pending = set(futs)
        while pending and time.perf_counter() < deadline:
            _, pending = await asyncio.wait(pending, timeout=0.5)
            last = srv.log.requests[-1].timestamp if srv.log.requests else t0_wall
            if pending and time.time() - max(last, t0_wall) > args.rl_quiet:
                break
        done = [f for f in futs if f.done()]
        answered_at = sorted((f.result() - t0) for f in done)
        await asyncio.sleep(0.5)  # trailing requests
        reqs = [r for r in srv.log.requests if r.timestamp >= t0_wall and not r.path.startswith(GLOBAL_EXEMPT_PREFIXES)]
        hits = Counter(d.rate_limit_hits)
        hits.subtract(hits_before)
    finally:
        if runner is not None:
            await runner.close()
        await srv.stop()

    print(f"\n[{label}]")
    n = len(world.customers)
    print(
        f"  {n} DMs dispatched in {dispatched * 1000:.0f} ms; {len(done)}/{n} answered within "
        f"{args.rl_timeout:.0f} s" + (f"; {n - len(done)} NEVER ANSWERED" if len(done) < n else "")
    )
    if answered_at:
        print(
            f"  time from burst to answer: p50 {pct(answered_at, 0.5):.2f} s, p99 {pct(answered_at, 0.99):.2f} s, "
            f"last {answered_at[-1]:.2f} s"
        )
    if not reqs:
        print("  no REST requests recorded")
        return
    ok = [r for r in reqs if r.status != 429]
    limited = [r for r in reqs if r.status == 429]
    by_route = Counter(f"{r.method} {r.route}" for r in reqs)
    print("  requests by route: " + ", ".join(f"{k} x{v}" for k, v in by_route.most_common()))
    first = min(r.timestamp for r in reqs)
    last_ok = max(r.timestamp for r in ok) if ok else first
    span = last_ok - first
    per_sec: Counter[int] = Counter(int(r.timestamp - first) for r in ok)
    seconds = int(span) + 1
    series = [per_sec.get(s, 0) for s in range(seconds)]
    full = series[:-1] if len(series) > 1 else series  # the last second is partial
    achieved = statistics.fmean(full) if full else 0.0
    ideal = (len(ok) - 1) // int(GLOBAL_ALLOWANCE)  # seconds a perfect client needs under a fixed 1 s window
    efficiency = ideal / span if span > 0 else float("nan")
    print(
        f"  accepted (non-429) requests: {len(ok)} over {span:.2f} s (first -> last accepted); "
        f"a perfect client needs {ideal} s (50 at the start of each 1 s window): efficiency {efficiency * 100:.0f}%"
    )
    print(f"  accepted per second (1 s slots from the first request): {series}")
    print(
        f"  achieved rate over the full seconds: {achieved:.1f}/s = {achieved / GLOBAL_ALLOWANCE * 100:.0f}% of "
        f"the 50/s global allowance (target >= 90%: {'MET' if achieved >= 0.9 * GLOBAL_ALLOWANCE else 'MISSED'})"
    )
    attempted = len(reqs) / span if span > 0 else float("nan")
    print(f"  attempted incl. 429s: {len(reqs)} requests, {attempted:.1f}/s")
    hit_items = [(k, v) for k, v in hits.items() if v > 0]
    by_bucket_status = Counter(r.bucket or "?" for r in limited)
    if hit_items:
        print("  429s per bucket: " + ", ".join(f"{k}: {v}" for k, v in sorted(hit_items, key=lambda kv: -kv[1])))
        worst = max(v for _, v in hit_items)
        print(
            f"  target 'no 429 after the first per bucket': {'MET' if worst <= 1 else 'MISSED'} (worst bucket: {worst})"
        )
    else:
        print("  429s per bucket: none (target MET)")
    if by_bucket_status and sum(by_bucket_status.values()) != sum(v for _, v in hit_items):
        print(f"  (429s seen in the request log by bucket: {dict(by_bucket_status)})")


async def section2(args: argparse.Namespace, questions: list[str]) -> None:
    print(
        f"\n=== 2. Limits on (Discord's real limits, scale 1.0, global {GLOBAL_ALLOWANCE:.0f}/s): "
        f"{args.rl_customers} customers DM a question at the same moment ==="
    )
    await burst("product", args, questions, pacer=False)
    if not args.no_rl_baseline:
        await burst("baseline", args, questions, pacer=False)
    if args.rl_pacer:
        await burst("product", args, questions, pacer=True)


# -- main ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=200, help="simulated customers, section 1 (default 200)")
    p.add_argument("--messages", type=int, default=2000, help="DM questions measured per bot, section 1")
    p.add_argument("--inflight", type=int, default=200, help="max questions outstanding (closed loop)")
    p.add_argument("--light-messages", type=int, default=200, help="questions at 1 in flight (unloaded latency)")
    p.add_argument(
        "--open-rate",
        type=float,
        default=250.0,
        help="questions per second offered by all customers together in the open-loop phase (section 1)",
    )
    p.add_argument("--warmup", type=int, default=100, help="questions per bot before measuring")
    p.add_argument("--order", choices=["baseline-first", "product-first"], default="baseline-first")
    p.add_argument("--profile-messages", type=int, default=1000, help="profiled product questions (0: no profile)")
    p.add_argument(
        "--no-breakdown", dest="breakdown", action="store_false", help="skip the timed breakdown passes of the product"
    )
    p.add_argument(
        "--no-experiments",
        dest="experiments",
        action="store_false",
        help="skip the what-if passes (snapshot cached / no typing)",
    )
    p.add_argument("--breakdown-messages", type=int, default=1000, help="questions in the loaded breakdown pass")
    p.add_argument("--profile-top", type=int, default=25)
    p.add_argument("--no-profile-file", action="store_true", help="do not save bench/out/e2e_product.prof")
    p.add_argument("--rl-customers", type=int, default=300, help="customers in the limits-on burst (section 2)")
    p.add_argument("--rl-timeout", type=float, default=60.0, help="max seconds to wait for the burst's answers")
    p.add_argument(
        "--rl-quiet",
        type=float,
        default=3.0,
        help="stop waiting for the burst's answers after this many seconds without a bot request",
    )
    p.add_argument(
        "--rl-pacer-window",
        type=float,
        default=1.05,
        help="the experimental pacer allows 50 requests per this many seconds (sliding)",
    )
    p.add_argument("--no-rl-baseline", action="store_true", help="skip the do-nothing bot in section 2")
    p.add_argument(
        "--rl-pacer",
        action="store_true",
        help="also run the product with an experimental client-side 50/s global pacer",
    )
    p.add_argument("--answer-timeout", type=float, default=15.0, help="per-question answer timeout, section 1")
    p.add_argument("--phase-timeout", type=float, default=120.0, help="max seconds per measured phase")
    p.add_argument("--section", choices=["1", "2", "all"], default="all")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("-v", "--verbose", action="store_true", help="show the bots' warnings as they happen")
    return parse_with_smoke(
        p,
        argv,
        customers=6,
        messages=24,
        inflight=6,
        light_messages=6,
        open_rate=30.0,
        warmup=6,
        profile_messages=12,
        profile_top=5,
        no_profile_file=True,
        breakdown_messages=12,
        rl_customers=60,
        rl_pacer=True,
        rl_timeout=20.0,
        phase_timeout=30.0,
    )


async def amain(args: argparse.Namespace) -> None:
    questions = load_questions()
    print(
        f"machine: {os.cpu_count()} CPU(s), {platform.machine()}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}), discord.py "
        f"{discord.__version__}, asyncio default loop"
    )
    print("parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(vars(args).items())))
    print(
        f"question pool: {len(questions)} DM questions (FAQ headings + rephrasings, none escalating to staff); "
        "product questions_per_minute=600, offline answerer (no LLM key), fresh SQLite file per bot"
    )
    if args.section in ("1", "all"):
        await section1(args, questions)
    if args.section in ("2", "all"):
        await section2(args, questions)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    counter = CountingHandler()
    root = logging.getLogger()
    root.addHandler(counter)
    root.setLevel(logging.WARNING)
    if args.verbose:
        logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    asyncio.run(amain(args))
    print(f"\nwall time: {time.perf_counter() - started:.1f} s")
    if counter.counts:
        print("warnings/errors logged during the run (count, logger, first message):")
        for k, v in counter.counts.most_common():
            print(f"  {v:6d}  {k}: {counter.samples[k]}")


if __name__ == "__main__":
    main()
