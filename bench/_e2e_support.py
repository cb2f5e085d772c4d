"""Helpers for bench/bench_e2e.py: the sandbox world, the two bots, questions and the reply tracker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.bot import intents as product_intents
from bot.config import Settings
from bot.core.router import Router
from bot.core.services import build_services
from bot.core.understanding import intents_for
from bot.runner import create_bot
from bot.sandbox import Channel, SandboxServer, User
from bot.sandbox import events as E
from bot.sandbox.demo import DemoWorld, build_demo_world

REPO = Path(__file__).resolve().parents[1]
DEVICE_KEY = "bench-device-key-0123456789abcdef"


BASELINE_REPLY = "Thanks for your message! (do-nothing baseline bot)"

# Realistic DM questions: the FAQ's own headings are added at run time; these are how customers phrase them.
REPHRASINGS = (
    "hi, is all my data gone?",
    "are my contacts lost forever?",
    "my photos vanished, can you recover them?",
    "should I factory reset my phone to fix it?",
    "can I wipe the phone and start over",
    "is it ok to take the battery out?",
    "can I turn my phone off for the night?",
    "my battery is almost flat, what should I do",
    "when will this be fixed?",
    "how long until the cloud is working again",
    "where do I find the IMEI of my phone?",
    "how do I register my device with you",
    "how will I know when my data is restored?",
    "who can see my device id? is it private",
    "will we get a refund or a free month?",
    "can I back up my phone to my computer now",
    "what happens to new photos I take now?",
    "I get a sync error when I log in, is that normal?",
    "I got a new phone last week, what now?",
    "will I lose my text messages?",
    "can I still make calls and use mobile internet?",
    "my calendar appointments are missing",
    "what is going on with the servers?",
    "is my data lost?",
    "how do I report a problem?",
    "does the outage affect my sms?",
    "do I need to charge my phone?",
    "what's the eta for the fix",
)


def load_questions() -> list[str]:
    """FAQ headings plus rephrasings, minus anything that would escalate to staff (we measure answers)."""
    faq = (REPO / "prompts" / "faq.md").read_text(encoding="utf-8")
    headings = [line[3:].strip() for line in faq.splitlines() if line.startswith("## ")]
    router = Router(intents_for(REPO / "prompts"))  # as the answerer reads them
    pool = [q for q in (*headings, *REPHRASINGS) if router.route(q).intent not in ("human", "distress", "refuse")]
    return pool


@dataclass
class World:
    demo: DemoWorld  # the guild, channels and staff role `python -m bot sandbox` uses
    customers: list[User]
    dms: dict[int, Channel]  # user id -> DM channel

    @property
    def server(self) -> SandboxServer:
        return self.demo.server


async def build_world(server: SandboxServer, customers: int) -> World:
    """The sandbox's demo world plus `customers` customers who are members of its guild."""
    d = server.driver
    demo = await build_demo_world(d)
    users = []
    for i in range(customers):
        u = d.create_user(f"customer{i:04d}")
        await d.add_member(demo.guild, u)
        users.append(u)
    return World(demo, users, {u.id: d.dm_channel(u) for u in users})


class ReplyTracker:
    """Sees every event the sandbox records (O(1) per event) and resolves the waiter of a DM channel when
    the bot's message in it is recorded. Avoids driver.wait_for_message, whose log scan is O(all events)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.bot_id = server.world.bot_user.id
        self.pending: dict[int, asyncio.Future[float]] = {}
        self.unmatched = 0
        self.bot_messages = 0
        log = server.log
        original = log.add

        def add(kind: str, **kw: Any) -> E.Event:
            ev = original(kind, **kw)
            m = ev.message
            if kind == E.MESSAGE and m is not None and m.author_id == self.bot_id:
                now = time.perf_counter()
                self.bot_messages += 1
                fut = self.pending.pop(m.channel_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(now)
                else:
                    self.unmatched += 1
            return ev

        log.add = add  # type: ignore[method-assign]

    def expect(self, channel_id: int) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.pending[channel_id] = fut
        return fut

    def forget(self, channel_id: int) -> None:
        self.pending.pop(channel_id, None)


class CountingHandler(logging.Handler):
    """Counts WARNING+ log records by logger name (the product's failures show up here)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.levelname} {record.name}"
        self.counts[key] += 1
        if key not in self.samples:
            text = record.getMessage()[:160]
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                text += f" [{type(exc).__name__}: {str(exc)[:120]}]"
            self.samples[key] = text


# -- bots -----------------------------------------------------------------------------------------


class Runner:
    """bot.start() as a task, like tests/sandbox/conftest.py's BotRunner."""

    def __init__(self, bot: commands.Bot, token: str, on_close: Callable[[], Awaitable[None]] | None = None) -> None:
        self.bot = bot
        self.token = token
        self.task: asyncio.Task[None] | None = None
        self.on_close = on_close

    async def start(self, timeout: float = 15.0) -> None:
        self.task = asyncio.create_task(self.bot.start(self.token))
        ready = asyncio.ensure_future(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self.task in done:
                raise RuntimeError(f"bot.start() ended: {self.task.exception()!r}")
            raise TimeoutError("bot not ready in time")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.bot.close(), 10)
        if self.task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.task, 10)
        if self.on_close is not None:
            await self.on_close()


async def start_product(server: SandboxServer, world: World, **extra: Any) -> Runner:
    """The product bot, built exactly as `python -m bot run` builds it, on a fresh SQLite file."""
    tmp = tempfile.TemporaryDirectory(prefix="bench_e2e_")
    values: dict[str, Any] = {
        **{k.lower(): v for k, v in world.demo.settings_env().items()},
        "database_url": f"sqlite+aiosqlite:///{tmp.name}/bench.db",
        "device_id_key": DEVICE_KEY,
        "knowledge_dir": REPO / "prompts",
        "questions_per_minute": 600,
    }
    values.update(extra)
    settings = Settings(_env_file=None, **values)
    services = await build_services(settings, device_key=DEVICE_KEY)
    bot = await create_bot(settings, services, guild_ready_timeout=0.2)

    async def cleanup() -> None:
        with contextlib.suppress(Exception):
            await services.close()
        tmp.cleanup()

    runner = Runner(bot, server.token, cleanup)
    await runner.start()
    return runner


def make_baseline_bot() -> commands.Bot:
    """A do-nothing discord.py bot: same intents as the product, replies to every DM with a fixed text."""
    bot = commands.Bot(
        command_prefix="!",
        intents=product_intents(),
        help_command=None,
        allowed_mentions=discord.AllowedMentions.none(),
        guild_ready_timeout=0.2,
    )

    @bot.listen("on_message")
    async def reply(message: discord.Message) -> None:
        if message.author.bot or not isinstance(message.channel, discord.DMChannel):
            return
        try:
            await message.channel.send(BASELINE_REPLY)
        except discord.HTTPException:
            logging.getLogger("bench.baseline").exception("could not reply")

    return bot


async def start_baseline(server: SandboxServer) -> Runner:
    discord.http.Route.BASE = server.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    runner = Runner(make_baseline_bot(), server.token)
    await runner.start()
    return runner


# -- timing breakdown (wraps instance attributes of the running product; no product code changes) ---------


class Timers:
    """Wall time of selected product calls (each includes any waiting: DB locks, the event loop, I/O)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self._undo: list[Callable[[], None]] = []

    def _patch(self, obj: Any, name: str, value: Any) -> None:
        """Set an instance attribute, and on undo put back exactly what the instance had (or nothing)."""
        had = name in vars(obj)
        before = vars(obj).get(name)
        setattr(obj, name, value)

        def undo() -> None:
            if had:
                setattr(obj, name, before)
            elif name in vars(obj):
                delattr(obj, name)

        self._undo.append(undo)

    def wrap_async(self, obj: Any, name: str, label: str) -> None:
        original = getattr(obj, name)
        samples = self.samples[label]

        async def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return await original(*a, **kw)
            finally:
                samples.append((time.perf_counter() - t) * 1000)

        self._patch(obj, name, wrapper)

    def wrap_sync(self, obj: Any, name: str, label: str) -> None:
        original = getattr(obj, name)
        samples = self.samples[label]

        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                samples.append((time.perf_counter() - t) * 1000)

        self._patch(obj, name, wrapper)

    def wrap_http(self, bot: commands.Bot) -> None:
        http = bot.http
        original = http.request
        samples = self.samples

        async def request(route: discord.http.Route, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return await original(route, **kw)
            finally:
                samples[f"REST {route.method} {route.path}"].append((time.perf_counter() - t) * 1000)

        http.request = request  # type: ignore[method-assign]
        self._undo.append(lambda: delattr(http, "request") if "request" in vars(http) else None)

    def instrument_product(self, bot: Any) -> None:
        sv = bot.services
        self.wrap_async(sv.answerer, "answer", "answerer.answer (whole pipeline)")
        self.wrap_async(sv.conversations, "open", "  conversations.open (DB)")
        self.wrap_async(sv.conversations, "history", "  conversations.history (DB)")
        self.wrap_async(sv.status, "snapshot", "  status.snapshot (DB)")
        self.wrap_sync(sv.knowledge, "search", "  knowledge.search (CPU)")
        self.wrap_async(sv.conversations, "record", "  conversations.record (DB write + commit)")
        self.wrap_http(bot)

    def undo(self) -> None:
        for u in reversed(self._undo):
            u()
        self._undo.clear()

    def reset(self) -> None:
        for v in self.samples.values():
            v.clear()


# -- client-side global pacing (experiment, off by default) -----------------------------------------


def install_global_pacer(bot: commands.Bot, per_window: int, window: float) -> None:
    """Experiment only: make the bot's HTTPClient wait for a slot (at most `per_window` requests in any
    `window` seconds, sliding) before each non-interaction request, i.e. respect the global limit up front
    instead of learning it from 429s. `window` > 1 s leaves headroom for the server seeing requests at
    slightly different times than they were sent."""
    http = bot.http
    original = http.request
    sent: list[float] = []
    lock = asyncio.Lock()
    limit = max(1, per_window)

    async def request(route: discord.http.Route, **kwargs: Any) -> Any:
        if not route.path.startswith(("/interactions/", "/webhooks/")):
            async with lock:
                loop = asyncio.get_running_loop()
                while True:
                    now = loop.time()
                    while sent and now - sent[0] >= window:
                        sent.pop(0)
                    if len(sent) < limit:
                        sent.append(now)
                        break
                    await asyncio.sleep(window - (now - sent[0]) + 0.001)
        return await original(route, **kwargs)

    http.request = request  # type: ignore[method-assign]


@dataclass
class PhaseResult:
    name: str
    sent: int = 0
    answered: int = 0
    lost: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


async def closed_loop(
    world: World,
    tracker: ReplyTracker,
    questions: list[str],
    *,
    name: str,
    total: int,
    inflight: int,
    seed: int,
    answer_timeout: float,
    phase_timeout: float,
) -> PhaseResult:
    """Each customer asks, waits for its answer, asks again; at most `inflight` questions outstanding."""
    d = world.server.driver
    res = PhaseResult(name)
    tickets = total
    sem = asyncio.Semaphore(inflight)
    rngs = {u.id: random.Random(f"{seed}:{u.id}:{name}") for u in world.customers}

    async def customer(u: User) -> None:
        nonlocal tickets
        ch = world.dms[u.id]
        rng = rngs[u.id]
        while True:
            async with sem:
                if tickets <= 0:
                    return
                tickets -= 1
                q = rng.choice(questions)
                fut = tracker.expect(ch.id)
                t0 = time.perf_counter()
                await d.user_says(u, "dm", q)
                res.sent += 1
                try:
                    t1 = await asyncio.wait_for(fut, answer_timeout)
                except TimeoutError:
                    tracker.forget(ch.id)
                    res.lost += 1
                    continue
                res.answered += 1
                res.latencies_ms.append((t1 - t0) * 1000)

    start = time.perf_counter()
    tasks = [asyncio.create_task(customer(u)) for u in world.customers]
    done, not_done = await asyncio.wait(tasks, timeout=phase_timeout)
    for t in not_done:
        t.cancel()
    for t in done:
        if t.exception() is not None:
            raise t.exception()  # type: ignore[misc]
    res.seconds = time.perf_counter() - start
    if not_done:
        res.name += f" (phase timeout after {phase_timeout:.0f}s)"
    return res


async def open_loop(
    world: World,
    tracker: ReplyTracker,
    questions: list[str],
    *,
    name: str,
    total: int,
    rate: float,
    seed: int,
    answer_timeout: float,
) -> PhaseResult:
    """Customers ask at a steady offered rate (Poisson arrivals), whatever the bot's pace: the latency a
    customer sees when the bot is busy but not saturated. A customer with a question still open waits
    for its answer before asking again (one pending question per DM channel)."""
    d = world.server.driver
    res = PhaseResult(name)
    rng = random.Random(f"{seed}:{name}")
    idle = list(world.customers)
    rng.shuffle(idle)
    pending: set[asyncio.Task[None]] = set()

    async def ask(u: User) -> None:
        ch = world.dms[u.id]
        fut = tracker.expect(ch.id)
        t0 = time.perf_counter()
        await d.user_says(u, "dm", rng.choice(questions))
        res.sent += 1
        try:
            t1 = await asyncio.wait_for(fut, answer_timeout)
        except TimeoutError:
            tracker.forget(ch.id)
            res.lost += 1
        else:
            res.answered += 1
            res.latencies_ms.append((t1 - t0) * 1000)
        idle.append(u)

    start = time.perf_counter()
    next_at = start
    for _ in range(total):
        next_at += rng.expovariate(rate)
        delay = next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        while not idle:  # every customer is waiting for an answer: the bot is saturated
            await asyncio.sleep(0.001)
        task = asyncio.create_task(ask(idle.pop()))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=answer_timeout + 5)
    res.seconds = time.perf_counter() - start
    return res
