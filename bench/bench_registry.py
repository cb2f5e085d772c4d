"""Registration throughput and latency through the device registry, next to raw sqlite3.

    python bench/bench_registry.py [--registrations 20000] [--customers 5000] [--writers 8] [--db sqlite,postgres]

Every registration goes through DeviceRegistry.register (parse, HMAC, encrypt, group commit) and
is timed from the call to its acknowledgement, which comes only after its transaction commits.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import PG_URL, drop_pg_schema, imei, parse_with_smoke, pg_schema, summary
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.registry import DeviceRegistry


def raw_sqlite_rate(n: int, folder: Path, synchronous: str = "FULL") -> float:
    """Plain sqlite3 inserts, one transaction each, in WAL mode (the bot uses synchronous=FULL)."""
    conn = sqlite3.connect(folder / f"raw-{synchronous}.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, customer_id INTEGER, id_hash TEXT, UNIQUE(customer_id, id_hash))"
    )
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (customer_id, id_hash) VALUES (?, ?)", (i % 5000, f"{i:064d}"))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


async def run_registry(db: Database, n: int, customers: int, writers: int) -> tuple[float, list[float]]:
    await db.upgrade()
    registry = DeviceRegistry(db, DeviceCipher("bench-key-0123456789abcdef"))
    work = [(i % customers, imei(i)) for i in range(n)]
    latencies: list[float] = []

    async def writer(k: int) -> None:
        for customer, dev in work[k::writers]:
            t0 = time.perf_counter()
            await registry.register(customer, dev)
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(writer(k) for k in range(writers)))
    elapsed = time.perf_counter() - start
    total = (await registry.count())["total"]
    assert total == n, f"stored {total} of {n}"
    return n / elapsed, latencies


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--registrations", type=int, default=20_000)
    ap.add_argument("--customers", type=int, default=5_000)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--db", default="sqlite,postgres")
    args = parse_with_smoke(ap, registrations=200, customers=50, writers=4)
    n = args.registrations
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = raw_sqlite_rate(n, folder)
        relaxed = raw_sqlite_rate(n, folder, "NORMAL")
        print(
            f"raw sqlite3, one transaction per insert: {raw:,.0f}/s with synchronous=FULL (as the bot), "
            f"{relaxed:,.0f}/s with synchronous=NORMAL (no fsync per commit)"
        )
        for kind in args.db.split(","):
            schema = None
            if kind == "sqlite":
                db = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
            else:
                schema = await pg_schema()
                db = Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
            try:
                rate, lat = await run_registry(db, n, args.customers, args.writers)
            finally:
                await db.dispose()
                if schema:
                    await drop_pg_schema(schema)
            print(
                f"{kind:8s} registry, {n:,} registrations / {args.customers:,} customers / {args.writers} writers: "
                f"{rate:,.0f}/s ({rate / raw:.2f}x raw sqlite3 FULL, {rate / relaxed:.2f}x NORMAL); "
                f"latency {summary(lat)}"
            )


if __name__ == "__main__":
    asyncio.run(main())
