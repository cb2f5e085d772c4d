"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import argparse
import statistics
import uuid
from collections.abc import Sequence
from typing import Any

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


def parse_with_smoke(ap: argparse.ArgumentParser, argv: Sequence[str] | None = None, **tiny: Any) -> argparse.Namespace:
    """Parse the benchmark's options, plus `--smoke`: a tiny run (the values in `tiny`) that only shows the
    benchmark still works. CI runs every benchmark this way (tests/test_bench_smoke.py); its figures mean nothing."""
    ap.add_argument("--smoke", action="store_true", help="a tiny run that only checks the benchmark still works")
    args = ap.parse_args(argv)
    if args.smoke:
        for name, value in tiny.items():
            if not hasattr(args, name):
                raise AttributeError(f"--smoke sets {name!r}, which is not an option of this benchmark")
            setattr(args, name, value)
    return args
