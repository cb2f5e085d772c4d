"""One async engine per process, one session per unit of work, migrations through alembic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from bot.core.errors import DatabaseUnavailable
from bot.core.outage import Outage

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x5EED_0B07  # any constant of our own; PostgreSQL advisory locks are per database
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 5.0  # a server that does not answer at all is an outage, not a minute's wait


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(busy_ms: int, read_only: bool) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        _apply_pragmas(dbapi_conn, busy_ms, read_only)

    return on_connect


def _apply_pragmas(dbapi_conn: Any, busy_ms: int, read_only: bool = False) -> None:
    cur = dbapi_conn.cursor()
    if read_only:
        # the journal mode is kept in the file: a reader neither needs nor may change it
        cur.execute("PRAGMA query_only=ON")
    else:
        # WAL lets readers run beside the writer; FULL makes every acknowledged commit survive
        # a power cut, not just a crash of this process.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


class Database:
    def __init__(
        self,
        url: str,
        *,
        connect_args: dict[str, Any] | None = None,
        pool_size: int = 10,
        sqlite_busy_ms: int = 10_000,
        read_only: bool = False,
    ) -> None:
        """`read_only`: every write is refused by the database itself (SQLite query_only, PostgreSQL
        read-only transactions), and a missing SQLite folder is not created."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        connect_args = dict(connect_args or {})
        if read_only and not self.is_sqlite:
            server = {**connect_args.get("server_settings", {}), "default_transaction_read_only": "on"}
            connect_args["server_settings"] = server
        if url.startswith("postgresql+asyncpg"):
            connect_args.setdefault("timeout", CONNECT_TIMEOUT_SECONDS)
        self.connect_args = connect_args
        path = sqlite_path(url)
        if path is not None and not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"The database folder {path.parent} cannot be created ({exc.strerror}). "
                    "Check DATABASE_URL and the folder's permissions."
                ) from None
        kwargs: dict[str, Any] = {"connect_args": connect_args or {}}
        if self.is_sqlite and path is None:
            kwargs.update(poolclass=StaticPool)  # in memory: the database lives in its one connection
        elif self.is_sqlite:
            # readers run in parallel under WAL; connections are cheap but opening one is not (a thread and
            # pragmas), so keep enough of them that a burst of questions never churns through new ones
            kwargs.update(pool_size=pool_size * 2, max_overflow=pool_size)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(sqlite_busy_ms, read_only))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing writers here is fair and fast, whereas letting them
        # collide on the file lock means SQLite's busy handler sleeping for up to tens of milliseconds.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # what reports and waits out an outage (a restart, a fail-over): see bot/core/outage.py
        self.outage = Outage(self.ping)

    def insert(self, table: Any) -> Any:
        """An INSERT that knows ON CONFLICT (both SQLite and PostgreSQL have it): for writes that must be
        idempotent when two processes, or two presses, make them at once."""
        return (sqlite_insert if self.is_sqlite else pg_insert)(table)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Hold the process's write turn (SQLite only; a no-op on PostgreSQL). Not re-entrant."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.writing(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection inside one transaction (for hot paths that skip the ORM)."""
        async with self.writing(), self.engine.begin() as conn:
            yield conn

    async def upgrade(self) -> None:
        """Apply every pending migration."""
        cfg = alembic_config()

        def _run(conn: Connection) -> None:
            if conn.dialect.name == "postgresql":
                # several processes starting together on one database: one migrates, the others wait for it
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(_run)
        except (OperationalError, DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(self.describe_failure(exc)) from exc

    async def current_revision(self) -> tuple[str | None, str | None]:
        """(revision in the database, newest revision in the code)."""
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()

        def _current(conn: Connection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self.engine.connect() as conn:
            return await conn.run_sync(_current), head

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError, OSError) as exc:
            raise DatabaseUnavailable(self.describe_failure(exc)) from exc

    def describe_failure(self, exc: BaseException) -> str:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
        where = safe_url(self.url)
        if self.is_sqlite:
            low = detail.lower()
            if "locked" in low or "busy" in low:
                hint = "another program holds a lock on the file; stop it or wait, then retry"
            elif "readonly" in low or "read-only" in low or "permission" in low or "unable to open" in low:
                hint = "check that the file and its folder exist and are writable by this user"
            elif "not a database" in low or "malformed" in low:
                hint = "the file is not a SQLite database or is damaged; restore it from a backup"
            else:
                hint = "check DATABASE_URL and the file's permissions"
        else:
            hint = "check that the server is running and DATABASE_URL's host, port, user and database are right"
        return f"The database at {where} cannot be used ({detail}): {hint}."

    async def dispose(self) -> None:
        await self.outage.close()
        await self.engine.dispose()
