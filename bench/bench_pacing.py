"""Pacing benchmark: the product bot, in its own process, against the sandbox with Discord's limits on, at
0, 50 and 100 ms round trips (jitter: a tenth of the round trip).

Run from the repo root:  .venv/bin/python bench/bench_pacing.py            (about 10 minutes)
                         .venv/bin/python bench/bench_pacing.py --smoke    (a tiny run, for CI)

The bot runs as `python -m bot run` in a child process (its own event loop and CPU), pointed at a sandbox in
this process, which enforces the global 50 requests/s and the per-route buckets with real headers and
delays every REST request by half a round trip each way (SandboxServer(latency=..., jitter=...)).
Everything is measured from outside, on the sandbox's request log (interaction callbacks and webhooks
excluded, as on Discord): 429s per bucket, the time from a customer's message to the bot's first message
to them, and how much of what Discord allows the bot used, from its first accepted request to its last
(no idle time before or after counts):
  % of 50/s          a client with every request ready sends 50 at once and 50 more each second, so n
                     requests need (n - 1) // 50 seconds at least; that over the time the bot took.
  % of what the      the same with every route's bucket as well (5 messages per 5 s per channel, ...):
  limits allow       the slowest of them bounds the time.
  after the first 50 (dm-burst) Discord counts the global limit as a sliding window, so a request may go a
                     second after the one 50 before it (issue 5144 of discord-api-docs: a request a second
                     after the first of a fixed second still met a 429). However fast the pacer, the spread
                     of the bot's first 50 answers (how fast it produced them) recurs every second; this
                     is the share the pacer used of what was left, given when the first 50 went.

Scenarios:
  dm-burst   N customers DM a question at the same moment.
  support    C customers each ask a question in #support (the bot answers in a new thread), then Q-1
             follow-ups in that thread, each after the previous answer.
  surge      M customers ask in #support within S seconds (the incident's first morning), with `--surge`
             off and on in the bot; time to a first useful answer for each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import pct  # noqa: E402
from bench._e2e_support import World, build_world, load_questions  # noqa: E402
from bot.core.surge import DIGEST_TITLE  # noqa: E402
from bot.sandbox import Message, SandboxServer  # noqa: E402
from bot.sandbox import events as E  # noqa: E402
from bot.sandbox.events import RequestRecord  # noqa: E402
from bot.sandbox.ratelimit import GLOBAL_EXEMPT_PREFIXES, RateLimiter  # noqa: E402

ALLOWANCE = 50.0
DEVICE_KEY = "bench-device-key-0123456789abcdef"


class FirstReplies:
    """When the bot first wrote in each channel (same clock as the customers' messages)."""

    def __init__(self, server: SandboxServer) -> None:
        self.at: dict[int, float] = {}
        self.count: Counter[int] = Counter()
        self.waiters: dict[int, asyncio.Future[float]] = {}
        self.posts: list[tuple[float, str]] = []  # (when, content) of the surge post, as created and edited
        bot_id = server.world.bot_user.id
        original = server.log.add

        def add(kind: str, **kw: Any) -> E.Event:
            ev = original(kind, **kw)
            m = ev.message
            if kind in (E.MESSAGE, E.MESSAGE_UPDATE) and m is not None and m.author_id == bot_id \
                    and m.content.startswith(DIGEST_TITLE):
                self.posts.append((time.perf_counter(), m.content))
            if kind == E.MESSAGE and m is not None and m.author_id == bot_id:
                now = time.perf_counter()
                self.count[m.channel_id] += 1
                self.at.setdefault(m.channel_id, now)
                fut = self.waiters.pop(m.channel_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(now)
            return ev

        server.log.add = add  # type: ignore[method-assign]

    async def wait(self, channel_id: int, after: float, timeout: float) -> float | None:
        """The bot's next message in the channel after `after` (perf_counter), or None."""
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[channel_id] = fut
        if self.at.get(channel_id, 0) > after:  # already there
            return self.at[channel_id]
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return None


@dataclass
class Result:
    name: str
    latency_ms: float
    asked: int = 0
    answered: int = 0
    waits: list[float] = field(default_factory=list)  # seconds to the bot's first message
    ok: int = 0
    limited: Counter[str] = field(default_factory=Counter)
    span: float = 0.0
    by_route: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    bound: float = 0.0  # seconds the accepted requests need at least, under the global limit and the buckets
    bound_by: str = ""
    first_window: float = 0.0  # seconds from the first accepted request to the 50th
    paced_bound: float = 0.0  # seconds the limits allow at best once the first 50 went when they did

    @property
    def allowance(self) -> float:
        """Share of the 50/s allowance used, first to last accepted request: a client with every request ready
        sends 50 at once and 50 more each second, so n requests need (n - 1) // 50 seconds at least."""
        ideal = (self.ok - 1) // int(ALLOWANCE)
        return ideal / self.span if self.span > 0 else float("nan")

    @property
    def of_limits(self) -> float:
        """The fastest any client could have sent these requests under Discord's limits, over our time."""
        return self.bound / self.span if self.span > 0 else float("nan")

    @property
    def pacing(self) -> float:
        """Share of the allowance used once the first 50 requests went when they did. Discord counts the global
        limit as a sliding window (a request may go a second after the one 50 before it reached Discord, not
        sooner), so how the bot's first 50 answers were spread over time (how fast it produced them) is kept
        in every later second, whoever paces: this is what the pacer itself made of the rest."""
        return self.paced_bound / self.span if self.span > 0 and self.paced_bound else float("nan")

    def lines(self) -> list[str]:
        w = self.waits
        out = [
            f"[{self.name}, {self.latency_ms:.0f} ms round trip]",
            f"  answered {self.answered}/{self.asked}; time to the bot's first message: "
            + (f"p50 {pct(w, 0.5):.2f} s, p99 {pct(w, 0.99):.2f} s, max {max(w):.2f} s" if w else "none"),
            f"  accepted requests {self.ok} over {self.span:.2f} s (first to last): {self.allowance * 100:.0f}% of the "
            f"50/s allowance (they need {(self.ok - 1) // int(ALLOWANCE)} s at best); requests per answer "
            f"{self.ok / max(1, self.answered):.2f}",
            f"  Discord's limits allow these requests in {self.bound:.2f} s at best (bound by {self.bound_by}): "
            f"{self.of_limits * 100:.0f}% of what the limits allow",
        ]
        if self.paced_bound and self.bound_by.startswith("global"):  # (else a route's bucket bounds the time)
            out.append(f"  the first 50 went over {self.first_window:.2f} s; given that, the limits allow the rest by "
                       f"{self.paced_bound:.2f} s: the pacer used {self.pacing * 100:.0f}% of the allowance after them")
        out += [
            "  429s: " + (", ".join(f"{k} {v}" for k, v in self.limited.most_common()) or "none"),
            "  by route: " + ", ".join(f"{k} x{v}" for k, v in self.by_route.most_common(6)),
        ]
        return out + [f"  {n}" for n in self.notes]


# -- the bot in its own process -----------------------------------------------------------------------


@contextmanager
def bot_process(world: World, extra: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    tmp = tempfile.TemporaryDirectory(prefix="bench_pacing_")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "OPENAI_"))},
        **world.demo.settings_env(),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp.name}/bench.db",
        "DEVICE_ID_KEY": DEVICE_KEY,
        "KNOWLEDGE_DIR": str(REPO / "prompts"),
        "QUESTIONS_PER_MINUTE": "600",
        "LOG_LEVEL": "INFO",  # the bot logs its pacing summary (INFO) when it closes
        "PYTHONPATH": str(REPO),
        **extra,
    }
    log = open(Path(tmp.name) / "bot.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp.name, env=env, stdout=log, stderr=log)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)  # closes the bot as Ctrl-C does
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        text = (Path(tmp.name) / "bot.log").read_text(errors="replace")
        problems = [ln for ln in text.splitlines() if "Traceback" in ln or " ERROR " in ln]
        if problems:
            print(f"  (bot log: {len(problems)} error line(s), first: {problems[0][:160]})")
        for line in text.splitlines():
            if "pacing: " in line:
                print("  bot says: " + line[line.index("pacing: "):])
        tmp.cleanup()


async def wait_ready(srv: SandboxServer, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {proc.returncode}")
        if srv.gateway.current is not None and any(r.method == "PUT" for r in srv.log.requests):
            await asyncio.sleep(2.0)  # its start-up requests' windows are over
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not connect")


def measure(srv: SandboxServer, res: Result, since_wall: float) -> None:
    reqs = [r for r in srv.log.requests if r.timestamp >= since_wall and not r.path.startswith(GLOBAL_EXEMPT_PREFIXES)]
    ok = [r for r in reqs if r.status != 429]
    res.ok = len(ok)
    res.limited = Counter(r.bucket or "?" for r in reqs if r.status == 429)
    res.by_route = Counter(f"{r.method} {r.route}" for r in reqs)
    res.bound, res.bound_by = limits_bound(ok)
    if ok:
        first = min(r.timestamp for r in ok)
        res.span = max(r.timestamp for r in ok) - first
        times = sorted(r.timestamp - first for r in ok)
        # where each window of 50 began: a perfect client starts one every second
        res.notes.append("every 50th accepted request at: " + ", ".join(f"{t:.3f}" for t in times[::50]) + " s")
        res.first_window, res.paced_bound = first_window_bound(times)


def first_window_bound(times: list[float]) -> tuple[float, float]:
    """(seconds from the first accepted request to the 50th, the soonest the last could have been accepted
    given when the first 50 were), for a burst with every later request ready: under a sliding window each
    request waits for the one 50 before it, so the last of n is (n - 1) // 50 seconds after one of the first."""
    limit = int(ALLOWANCE)
    if len(times) <= limit:
        return 0.0, 0.0
    n = len(times)
    return times[limit - 1], times[(n - 1) % limit] + (n - 1) // limit * 1.0


def limits_bound(ok: list[RequestRecord]) -> tuple[float, str]:
    """Seconds a perfect client needs for these requests: each bucket (and the global limit) lets `limit` go at
    the start of each of its windows, so n requests need (n - 1) // limit windows after the first."""
    counts: Counter[tuple[str, str]] = Counter()
    specs: dict[str, tuple[int, float]] = {"global": (int(ALLOWANCE), 1.0)}
    for r in ok:
        spec = RateLimiter.spec_for(r.method, r.route or "")
        params = dict(zip(_segments(r.route or ""), r.path.split("/"), strict=False))
        major = params.get(spec.major, "") if spec.major else "/".join(sorted(params.values()))
        counts[(spec.name, major)] += 1
        specs[spec.name] = (spec.limit, spec.window)
    counts[("global", "")] = len(ok)
    best, by = 0.0, "nothing"
    for (name, _major), n in counts.items():
        limit, window = specs[name]
        need = (n - 1) // limit * window
        if need > best:
            best, by = need, f"{name}: {n} requests, {limit} per {window:g} s"
    return best, by


def _segments(template: str) -> list[str]:
    return [seg[1:-1] if seg.startswith("{") else f"={seg}" for seg in template.split("/")]


# -- scenarios ------------------------------------------------------------------------------------------


async def dm_burst(srv: SandboxServer, world: World, replies: FirstReplies, questions: list[str],
                   args: argparse.Namespace, res: Result) -> None:
    d = srv.driver
    t0 = time.perf_counter()
    for i, u in enumerate(world.customers[: args.dm_customers]):
        await d.user_says(u, "dm", questions[i % len(questions)])
    res.asked = args.dm_customers
    waits = await asyncio.gather(*(replies.wait(world.dms[u.id].id, t0 - 1, args.timeout)
                                   for u in world.customers[: args.dm_customers]))
    res.waits = [w - t0 for w in waits if w is not None]
    res.answered = len(res.waits)


async def support_loop(srv: SandboxServer, world: World, replies: FirstReplies, questions: list[str],
                       args: argparse.Namespace, res: Result) -> None:
    d = srv.driver
    support = world.demo.support
    rng = random.Random(args.seed)

    async def customer(i: int) -> None:
        u = world.customers[i]
        t = time.perf_counter()
        msg: Message = await d.user_says(u, support, rng.choice(questions))
        res.asked += 1
        got = await replies.wait(msg.id, t - 1, args.timeout)  # the answer, in the thread made from msg
        if got is None:
            return
        res.answered += 1
        res.waits.append(got - t)
        thread = srv.world.channels[msg.id]
        for _ in range(args.support_questions - 1):
            t = time.perf_counter()
            seen = replies.count[thread.id]
            await d.user_says(u, thread, rng.choice(questions))
            res.asked += 1
            while replies.count[thread.id] <= seen:
                got = await replies.wait(thread.id, t, args.timeout)
                if got is None:
                    return
            res.answered += 1
            res.waits.append(time.perf_counter() - t)

    await asyncio.gather(*(customer(i) for i in range(args.support_customers)))


def faq_headings() -> list[str]:
    faq = (REPO / "prompts" / "faq.md").read_text(encoding="utf-8")
    return [line[3:].strip() for line in faq.splitlines() if line.startswith("## ")]


async def surge(srv: SandboxServer, world: World, replies: FirstReplies, questions: list[str],
                args: argparse.Namespace, res: Result) -> None:
    """M customers ask in #support within S seconds, mostly the same few questions (the FAQ's own words).
    A question is answered by the bot's first message in the thread made from it, a reply to it, or the
    public "What we know" post once it shows that question (0 s if it already did when it was asked)."""
    d = srv.driver
    support = world.demo.support
    rng = random.Random(args.seed)
    headings = faq_headings()
    hot = headings[:5]  # on an incident's first morning most people ask the same few things
    n = args.surge_customers
    offsets = sorted(rng.uniform(0, args.surge_seconds) for _ in range(n))
    start = time.perf_counter()
    asked: list[tuple[float, Message, str]] = []
    for i, off in enumerate(offsets):
        delay = start + off - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        q = rng.choice(hot) if rng.random() < 0.8 else rng.choice(headings)
        t = time.perf_counter()
        asked.append((t, await d.user_says(world.customers[i], support, q), q))
    res.asked = n
    deadline = time.perf_counter() + args.surge_grace
    while len(answered_by(srv, replies, asked)) < n and time.perf_counter() < deadline:
        await asyncio.sleep(0.5)
    waits = answered_by(srv, replies, asked)
    res.waits = sorted(waits.values())
    res.answered = len(res.waits)
    if replies.posts:
        res.notes.append(f"the public post: created, then edited {len(replies.posts) - 1} times")
    if res.answered < n:
        res.notes.append(f"{n - res.answered} not answered {args.surge_grace:.0f} s after the last question "
                         "(missing from the percentiles)")


def answered_by(srv: SandboxServer, replies: FirstReplies, asked: list[tuple[float, Message, str]]
                ) -> dict[int, float]:
    """Seconds from each question to its first useful answer, by message id."""
    bot_id = srv.world.bot_user.id
    direct: dict[int, float] = {}
    wall_now, perf_now = time.time(), time.perf_counter()
    ids = {m.id for _, m, _ in asked}
    for ev in srv.log.events:
        m = ev.message
        if ev.kind != E.MESSAGE or m is None or m.author_id != bot_id:
            continue
        target = m.channel_id if m.channel_id in ids else (m.reference_id if m.reference_id in ids else None)
        if target is not None and target not in direct:
            direct[target] = perf_now - (wall_now - ev.at)
    out: dict[int, float] = {}
    for t, m, q in asked:
        mark = f"**{q}**"
        before = [content for pt, content in replies.posts if pt <= t]
        later = [pt for pt, content in replies.posts if pt > t and mark in content]
        at = None
        if before and mark in before[-1]:
            at = t  # already in the post when asked
        elif later:
            at = later[0]
        if m.id in direct:
            at = min(at, direct[m.id]) if at is not None else direct[m.id]
        if at is not None:
            out[m.id] = max(0.0, at - t)
    return out


SCENARIOS = {"dm-burst": dm_burst, "support": support_loop, "surge": surge}


async def run(name: str, latency_ms: float, questions: list[str], args: argparse.Namespace,
              extra_env: dict[str, str] | None = None, label: str | None = None) -> Result:
    rtt = latency_ms / 1000
    srv = SandboxServer(rate_limits=True, rate_limit_scale=1.0, latency=rtt, jitter=rtt / 10)
    await srv.start()
    res = Result(label or name, latency_ms)
    try:
        customers = max(args.dm_customers, args.support_customers, args.surge_customers)
        world = await build_world(srv, customers)
        replies = FirstReplies(srv)
        with bot_process(world, extra_env or {}) as proc:
            await wait_ready(srv, proc)
            since = time.time()
            await SCENARIOS[name](srv, world, replies, questions, args, res)
            await asyncio.sleep(1.0)  # trailing requests
            measure(srv, res, since)
    finally:
        await srv.stop()
    return res


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--latencies", default="0,50,100", help="round trips in ms, comma-separated")
    p.add_argument("--scenarios", default="dm-burst,support,surge")
    p.add_argument("--dm-customers", type=int, default=300)
    p.add_argument("--support-customers", type=int, default=60)
    p.add_argument("--support-questions", type=int, default=5)
    p.add_argument("--surge-customers", type=int, default=1000)
    p.add_argument("--surge-seconds", type=float, default=60.0)
    p.add_argument("--surge-grace", type=float, default=60.0, help="wait this long after the last question")
    p.add_argument("--timeout", type=float, default=120.0, help="per-answer timeout (dm-burst, support)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--smoke", action="store_true", help="a tiny run at 50 ms: 20 DMs, 4 x 2 in #support, 30 in 3 s")
    args = p.parse_args(argv)
    if args.smoke:
        args.latencies = "50"
        args.dm_customers, args.support_customers, args.support_questions = 20, 4, 2
        args.surge_customers, args.surge_seconds, args.surge_grace, args.timeout = 30, 3.0, 5.0, 30.0
    return args


async def amain(args: argparse.Namespace) -> None:
    questions = load_questions()
    print(f"machine: {os.cpu_count()} CPU(s); the bot runs in its own process; sandbox limits at scale 1.0")
    print("parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(vars(args).items())))
    summary: list[str] = []
    for name in args.scenarios.split(","):
        for ms in (float(x) for x in args.latencies.split(",")):
            variants: list[tuple[str, dict[str, str]]] = [(name, {})]
            if name == "surge":
                variants = [("surge, plain path", {"SURGE_MODE": "off"}), ("surge, surge mode", {"SURGE_MODE": "auto"})]
            for label, env in variants:
                res = await run(name, ms, questions, args, env, label)
                print("\n".join(res.lines()), flush=True)
                summary.append(
                    f"  {label:<20} {ms:5.0f} ms: {res.answered}/{res.asked} answered, "
                    f"p50 {pct(res.waits, 0.5):6.2f} s p99 {pct(res.waits, 0.99):6.2f} s, "
                    f"{res.allowance * 100:4.0f}% of 50/s, {res.of_limits * 100:4.0f}% of what the limits allow"
                    + (f" ({res.pacing * 100:3.0f}% after the first 50)" if res.bound_by.startswith("global") else "")
                    + f", 429s {sum(res.limited.values())}, req/answer {res.ok / max(1, res.answered):.2f}"
                )
    print("\nsummary:")
    print("\n".join(summary))


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    asyncio.run(amain(parse_args(argv)))
    print(f"\nwall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
