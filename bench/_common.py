"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import uuid

from bot.core.devices import luhn_ok

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def imei(n: int) -> str:
    body = f"35{n:012d}"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values_ms: list[float]) -> str:
    return (
        f"p50 {pct(values_ms, 0.50):.2f} ms, p99 {pct(values_ms, 0.99):.2f} ms, "
        f"mean {statistics.fmean(values_ms):.2f} ms"
    )


async def pg_schema() -> str:
    import asyncpg

    schema = "bench_" + uuid.uuid4().hex[:10]
    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="test")
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    return schema


async def drop_pg_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="test")
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await conn.close()
