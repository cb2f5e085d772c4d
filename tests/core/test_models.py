"""The tables: UTC datetimes on every backend, and migrations that build exactly these models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel, col

from bot.core.db import Database
from bot.core.models import KeyValue, Outbox, UTCDateTime, utcnow

BERLIN_SUMMER = timezone(timedelta(hours=2))


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


def test_the_column_type_converts_both_ways_without_a_database() -> None:
    kind = UTCDateTime()
    local = datetime(2026, 7, 1, 14, 0, tzinfo=BERLIN_SUMMER)
    stored = kind.process_bind_param(local, None)
    assert stored == local and stored is not None and stored.tzinfo is UTC and stored.hour == 12
    assert kind.process_result_value(datetime(2026, 7, 1, 12, 0), None) == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    read = kind.process_result_value(local, None)
    assert read is not None and read.tzinfo is UTC and read.hour == 12
    assert kind.process_bind_param(None, None) is None and kind.process_result_value(None, None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        kind.process_bind_param(datetime(2026, 7, 1, 12, 0), None)


async def test_a_naive_datetime_is_refused_by_the_database_layer(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime given to a UTC column"):
        async with database.transaction() as session:
            session.add(KeyValue(key="k", value="v", updated_at=datetime(2026, 11, 28, 12, 0)))
    async with database.sessions() as session:
        assert await session.get(KeyValue, "k") is None


async def test_datetimes_come_back_aware_and_in_utc(database: Database) -> None:
    local = datetime(2026, 11, 28, 14, 30, 15, 123456, tzinfo=BERLIN_SUMMER)
    async with database.transaction() as session:
        session.add(KeyValue(key="local", value="v", updated_at=local))
        session.add(KeyValue(key="utc", value="v", updated_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC)))
    async with database.sessions() as session:  # a fresh session: values read from the database
        rows = {r.key: r.updated_at for r in await session.scalars(select(KeyValue))}
    assert rows["local"] == local
    assert rows["local"].tzinfo is UTC and (rows["local"].hour, rows["local"].microsecond) == (12, 123456)
    assert rows["utc"] == datetime(2026, 11, 28, 12, 0, tzinfo=UTC) and rows["utc"].tzinfo is UTC


async def test_an_aware_comparison_in_a_query_finds_the_right_rows(database: Database) -> None:
    noon = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    async with database.transaction() as session:
        for n, key in enumerate(("early", "late")):
            session.add(KeyValue(key=key, value="v", updated_at=noon + timedelta(hours=n * 2)))
    cut = datetime(2026, 11, 28, 14, 0, tzinfo=BERLIN_SUMMER)  # 12:00 UTC, written in another zone
    async with database.sessions() as session:
        later = list(await session.scalars(select(col(KeyValue.key)).where(col(KeyValue.updated_at) > cut)))
    assert later == ["late"]


async def test_a_nullable_datetime_stays_empty(database: Database) -> None:
    async with database.transaction() as session:
        row = Outbox(kind="post", target_id=1, dedupe_key="d1", payload="{}")
        session.add(row)
    async with database.sessions() as session:
        stored = (await session.scalars(select(Outbox))).one()
    assert stored.sent_at is None
    assert stored.created_at.tzinfo is UTC and stored.next_attempt_at.tzinfo is UTC


def _differences(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_the_migrations_build_exactly_the_models(database: Database) -> None:
    """After `upgrade`, alembic finds nothing to add, drop or change: no model change lacks its migration."""
    async with database.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
