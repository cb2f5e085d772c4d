"""Command line and composition root: settings, engine, clients and services are built here only."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.core.errors import UserFacingError
from bot.core.text.wording import plural
from bot.log import setup_logging

if TYPE_CHECKING:
    from bot.core.db import Database
    from bot.core.registry import DeviceRegistry

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bot",
        description="Customer-support bot for a data-loss incident. Settings come from the environment and .env.",
    )
    p.add_argument(
        "--sandbox",
        action="store_true",
        help="read the sandbox's data (DATA_DIR/sandbox.db and its key) instead of DATABASE_URL",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="connect to Discord (or the server named by DISCORD_API_BASE) and serve")
    sub.add_parser("check", help="validate settings and reach the database, the status feed and the LLM")
    sb = sub.add_parser(
        "sandbox",
        help="try the bot locally: a Discord-compatible server, the bot, and a terminal chat (no tokens needed)",
    )
    sb.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                    help="simulated round trip of every request to the sandbox, as if Discord were this far away")
    sb.add_argument("--jitter-ms", type=float, default=0.0, metavar="MS",
                    help="how much each round trip may differ from --latency-ms, either way")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending schema migrations")

    dev = sub.add_parser("devices", help="registered devices (staff)")
    dev_sub = dev.add_subparsers(dest="devices_command", metavar="ACTION")
    exp = dev_sub.add_parser("export", help="write every registration, with full device IDs, as CSV")
    exp.add_argument("--out", required=True, type=Path, metavar="FILE.csv", help="where to write the CSV")
    exp.add_argument(
        "--plain",
        action="store_true",
        help='write IDs as bare numbers (for programs); by default they are ="..." so spreadsheets keep every digit',
    )
    dev_sub.add_parser("count", help="how many devices are registered")
    rot = dev_sub.add_parser(
        "rotate-key", help="re-encrypt every device ID under a new key (stop every bot process first)"
    )
    rot.add_argument("--new-key-file", required=True, type=Path, metavar="FILE", help="file holding the new key")

    st = sub.add_parser("stats", help="incident statistics (staff), optionally with the hourly chart as PNG")
    st.add_argument("--chart", type=Path, metavar="FILE.png", help="also write the chart of activity per hour")

    ask = sub.add_parser(
        "ask", help="answer a question exactly as the bot would (same pipeline, knowledge and status)"
    )
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--jsonl", type=Path, metavar="FILE", help='read {"q": ...} lines; write one JSON answer per line')
    ask.add_argument("--out", type=Path, metavar="FILE", help="with --jsonl: write answers here instead of stdout")
    ask.add_argument(
        "--as-customer", type=int, metavar="ID", default=None,
        help="answer as this Discord user (their devices, history and rate limit); default: a fresh customer",
    )
    return p


@contextlib.asynccontextmanager
async def _registry(settings: Settings, *, need_key: bool) -> AsyncIterator[tuple[DeviceRegistry, Database]]:
    """The device registry alone: the devices commands answer no questions, so they need no knowledge files."""
    from bot.core.crypto import DeviceCipher
    from bot.core.db import Database
    from bot.core.registry import DeviceRegistry
    from bot.core.services import resolve_device_key

    sandbox = settings.database_url == settings.sandbox_database_url  # its key is kept beside its data
    if need_key:
        key = resolve_device_key(settings, generate_in=settings.data_dir if sandbox else None)
    else:
        key = "unused-key-for-commands-that-never-decrypt"
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        registry = DeviceRegistry(db, DeviceCipher(key), serial_pattern=settings.device_serial_pattern)
        try:
            yield registry, db
        finally:
            await registry.flush()
    finally:
        await db.dispose()


async def _cmd_db_upgrade(settings: Settings) -> int:
    from bot.core.db import Database, safe_url

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        current, head = await db.current_revision()
    finally:
        await db.dispose()
    print(f"Database {safe_url(settings.database_url)} is at revision {current} (newest: {head}).")
    return 0


async def _cmd_devices_export(settings: Settings, out: Path, *, plain: bool = False) -> int:
    from bot.core.staff.audit import AuditLog

    async with _registry(settings, need_key=True) as (registry, db):
        tmp = out.with_name(out.name + ".partial")
        try:
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                n = await registry.export_csv(fh, spreadsheet=not plain)
            tmp.replace(out)
            await AuditLog(db).record(None, "devices.export", rows=n, path=str(out))
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UserFacingError(f"Cannot write {out} ({exc.strerror}).") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    print(f"Wrote {plural(n, 'registration')} to {out}.")
    _hint_sandbox(settings, empty=n == 0)
    return 0


async def _cmd_devices_rotate_key(settings: Settings, new_key_file: Path) -> int:
    from bot.core.crypto import DeviceCipher
    from bot.core.key_rotation import rotate_device_key
    from bot.core.staff.audit import AuditLog

    try:
        new_key = new_key_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UserFacingError(f"Cannot read {new_key_file} ({exc.strerror}).") from None
    if len(new_key) < 16:
        raise UserFacingError(f"The key in {new_key_file} is too short: use at least 16 characters.")
    async with _registry(settings, need_key=True) as (registry, db):
        old = registry.cipher
        if old.hash("probe") == DeviceCipher(new_key).hash("probe"):
            raise UserFacingError("The new key is the one DEVICE_ID_KEY already holds.")
        try:
            done = await rotate_device_key(db, old, DeviceCipher(new_key))
        except ValueError as exc:
            raise UserFacingError(f"{exc} Nothing was changed.") from None
        await AuditLog(db).record(None, "devices.rotate_key", devices=done.devices, states=done.states)
    print(
        f"Re-encrypted {done.devices} device IDs and moved {done.states} recovery states to the new key "
        f"({done.states_left} states of unregistered devices wait for the feed). "
        "Now put the new key in DEVICE_ID_KEY and start the bot."
    )
    return 0


async def _cmd_devices_count(settings: Settings) -> int:
    async with _registry(settings, need_key=False) as (registry, _db):
        counts = await registry.count()
    for k, v in counts.items():
        print(f"{k}: {v}")
    _hint_sandbox(settings, empty=counts["total"] == 0)
    return 0


async def _cmd_ask(
    settings: Settings, question: str | None, jsonl: Path | None, out: Path | None, customer: int | None = None
) -> int:
    from bot.ask import run_ask

    return await run_ask(settings, question, jsonl, out, customer)


async def _cmd_sandbox(settings: Settings, latency_ms: float, jitter_ms: float) -> int:
    from bot.sandbox_app import run_sandbox

    return await run_sandbox(settings, settings.data_dir, latency=latency_ms / 1000, jitter=jitter_ms / 1000)


async def _cmd_stats(settings: Settings, chart: Path | None) -> int:
    from bot.core.chart import activity, render_chart
    from bot.core.db import Database, safe_url
    from bot.core.stats import compute

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        stats = await compute(db)
        print(f"Database: {safe_url(settings.database_url)}")
        for line in stats.lines():
            print(line)
        _hint_sandbox(settings, empty=stats.questions == 0 and stats.registrations == 0)
        if chart is not None:
            png = render_chart(await activity(db))
            try:
                chart.write_bytes(png)
            except OSError as exc:
                raise UserFacingError(f"Cannot write {chart} ({exc.strerror}).") from None
            print(f"Chart written to {chart} ({len(png)} bytes).")
    finally:
        await db.dispose()
    return 0


def _hint_sandbox(settings: Settings, *, empty: bool) -> None:
    """Nothing here, but the sandbox has data: say where it is (a common surprise after trying the sandbox)."""
    sandbox_db = settings.data_dir / "sandbox.db"
    if empty and settings.database_url != settings.sandbox_database_url and sandbox_db.is_file():
        print(f"(Nothing recorded in this database. The sandbox keeps its data in {sandbox_db}: add --sandbox, "
              "e.g. `python -m bot --sandbox stats`.)")


async def _cmd_run(settings: Settings) -> int:
    from bot.runner import run_bot

    return await run_bot(settings)


async def _cmd_check(settings: Settings) -> int:
    from bot.check import run_checks

    return await run_checks(settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "sandbox" and not 0 <= args.jitter_ms <= args.latency_ms:
        parser.error("--jitter-ms must be between 0 and --latency-ms")
    if args.command == "db" and args.db_command is None:
        parser.parse_args(["db", "--help"])
    if args.command == "devices" and args.devices_command is None:
        parser.parse_args(["devices", "--help"])
    try:
        settings = load_settings()
        if args.sandbox and args.command != "sandbox":
            settings = settings.model_copy(update={"database_url": settings.sandbox_database_url})
        # the terminal is the chat in the sandbox: logs go to a file there
        log_file = settings.data_dir / "sandbox.log" if args.command == "sandbox" else None
        setup_logging(settings.log_level, file=log_file, serial_pattern=settings.device_serial_pattern)
        if args.command == "run":
            coro: Awaitable[int] = _cmd_run(settings)
        elif args.command == "sandbox":
            coro = _cmd_sandbox(settings, args.latency_ms, args.jitter_ms)
        elif args.command == "check":
            coro = _cmd_check(settings)
        elif args.command == "stats":
            coro = _cmd_stats(settings, args.chart)
        elif args.command == "ask":
            if (args.question is None) == (args.jsonl is None):
                parser.parse_args(["ask", "--help"])
            coro = _cmd_ask(settings, args.question, args.jsonl, args.out, args.as_customer)
        elif args.command == "db":
            coro = _cmd_db_upgrade(settings)
        elif args.devices_command == "export":
            coro = _cmd_devices_export(settings, args.out, plain=args.plain)
        elif args.devices_command == "rotate-key":
            coro = _cmd_devices_rotate_key(settings, args.new_key_file)
        else:
            coro = _cmd_devices_count(settings)
        return asyncio.run(coro)  # type: ignore[arg-type]
    except (ConfigError, UserFacingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
