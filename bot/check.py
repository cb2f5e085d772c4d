"""`python -m bot check`: a readable report on settings and everything the bot must reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from bot.check_discord import configured, reachable
from bot.config import ConfigError, Settings
from bot.core.db import Database, safe_url
from bot.core.errors import DatabaseUnavailable
from bot.core.feeds import FeedError, parse_feed
from bot.core.feeds.fetch import FeedFetcher
from bot.core.services import load_knowledge
from bot.core.text.wording import plural


@dataclass
class CheckResult:
    name: str
    ok: bool | None  # None: not configured, which is allowed
    detail: str


async def _database(settings: Settings) -> CheckResult:
    db = Database(settings.database_url)
    try:
        await db.ping()
        current, head = await db.current_revision()
    except DatabaseUnavailable as exc:
        return CheckResult("database", False, str(exc))
    finally:
        await db.dispose()
    where = safe_url(settings.database_url)
    if current != head:
        return CheckResult(
            "database", True, f"{where} reachable; schema at {current or 'empty'}, will upgrade to {head} at start"
        )
    return CheckResult("database", True, f"{where} reachable; schema up to date ({head})")


async def _feed(settings: Settings) -> CheckResult:
    """Fetch the feed once and parse it, exactly as a poll would (nothing is stored)."""

    url = settings.status_feed_url
    if not url:
        return CheckResult("status feed", None, "STATUS_FEED_URL not set: no automatic status updates")
    fetcher = FeedFetcher(url, attempts=1)
    try:
        fetched = await fetcher.fetch()
        assert fetched.body is not None
        snap = parse_feed(fetched.body, settings.status_feed_format, fetched.content_type)
    except FeedError as exc:
        return CheckResult("status feed", False, str(exc))
    finally:
        await fetcher.close()
    updates = sum(len(i.updates) for i in snap.incidents)
    return CheckResult(
        "status feed",
        True,
        f"{url}: {snap.format} feed, {plural(len(snap.incidents), 'incident')}, {plural(updates, 'update')}, "
        f"{plural(len(snap.device_states), 'device state')}",
    )


async def _llm(settings: Settings) -> CheckResult:
    if settings.openai_api_key is None:
        return CheckResult("LLM", None, "OPENAI_API_KEY not set: answers come from the offline answerer")
    import openai

    client = openai.AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=10,
        max_retries=0,
    )
    try:
        await client.models.list()
    except openai.AuthenticationError:
        return CheckResult("LLM", False, "the endpoint refused OPENAI_API_KEY")
    except openai.APIError as exc:
        return CheckResult("LLM", False, f"endpoint {client.base_url} failed ({type(exc).__name__})")
    finally:
        await client.close()
    return CheckResult("LLM", True, f"endpoint {client.base_url} reachable, model {settings.openai_model}")


async def _static(settings: Settings) -> list[CheckResult]:
    out = [CheckResult("settings", True, "loaded")]
    out.append(
        CheckResult("DISCORD_TOKEN", True, "set")
        if settings.discord_token
        else CheckResult("DISCORD_TOKEN", False, "not set: `run` needs it (`sandbox` does not)")
    )
    out.append(
        CheckResult("DEVICE_ID_KEY", True, "set")
        if settings.device_id_key
        else CheckResult("DEVICE_ID_KEY", False, "not set: device registration needs it")
    )

    try:
        prompts, kb = load_knowledge(settings)
        out.append(
            CheckResult(
                "knowledge",
                True,
                f"{settings.knowledge_dir}: {len(kb)} FAQ entries, {len(prompts.safety.always)} standing "
                f"instructions, {len(prompts.safety.never)} Never rules",
            )
        )
    except ConfigError as exc:
        out.append(CheckResult("knowledge", False, str(exc)))
    return out


async def _discord(settings: Settings) -> list[CheckResult]:
    """What `run` needs from Discord: the channels and roles configured, and the bot able to post there."""
    results = [CheckResult(name, ok, detail) for name, ok, detail in configured(settings)]
    if settings.discord_token is None or settings.guild_id is None:
        return results
    try:
        found = await reachable(settings)
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
        return [*results, CheckResult("Discord", False, f"{settings.discord_api_base} cannot be reached ({exc!r})")]
    return [*results, *(CheckResult(name, ok, detail) for name, ok, detail in found)]


async def run_checks(settings: Settings, *, printer: Callable[[str], None] = print) -> int:
    results = await _static(settings)
    results.extend(await _discord(settings))
    probes: list[Callable[[Settings], Awaitable[CheckResult]]] = [_database, _feed, _llm]
    for probe in probes:
        results.append(await probe(settings))
    width = max(len(r.name) for r in results)
    for r in results:
        mark = {True: "ok  ", False: "FAIL", None: "--  "}[r.ok]
        printer(f"{mark} {r.name.ljust(width)}  {r.detail}")
    failed = [r for r in results if r.ok is False]
    printer("All checks passed." if not failed else f"{plural(len(failed), 'check')} failed: `run` would not work.")
    return 1 if failed else 0
