"""Look-up by device ID and CSV export with 1,000,000 registrations stored (SQLite).

    python bench/bench_lookup_export.py [--rows 1000000] [--lookups 5000]

The rows are written directly (they are real registrations: HMAC'd and encrypted with the same
cipher), then look-ups go through DeviceRegistry.lookup_by_device and the export runs as the real
`python -m bot devices export` command in a child process whose peak RSS is read from the kernel.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import imei, parse_with_smoke, summary  # noqa: E402
from bot.core.crypto import DeviceCipher  # noqa: E402
from bot.core.db import Database  # noqa: E402
from bot.core.registry import DeviceRegistry  # noqa: E402

KEY = "bench-key-0123456789abcdef"


def populate(path: Path, rows: int, cipher: DeviceCipher) -> None:
    conn = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat(sep=" ")
    batch = []
    for i in range(rows):
        dev = imei(i)
        batch.append((i // 3 + 1, "imei", cipher.hash(dev), cipher.encrypt(dev), dev[-4:], 0, now))
        if len(batch) == 50_000:
            conn.executemany(
                "INSERT INTO devices (customer_id, kind, id_hash, id_cipher, tail, needs_review, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch.clear()
    if batch:
        conn.executemany(
            "INSERT INTO devices (customer_id, kind, id_hash, id_cipher, tail, needs_review, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    conn.commit()
    conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=5_000)
    args = parse_with_smoke(ap, rows=300, lookups=50)
    cipher = DeviceCipher(KEY)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        url = f"sqlite+aiosqlite:///{path}"
        db = Database(url)
        await db.upgrade()
        await db.dispose()
        t0 = time.perf_counter()
        populate(path, args.rows, cipher)
        print(f"stored {args.rows:,} registrations in {time.perf_counter() - t0:.1f} s")

        db = Database(url)
        registry = DeviceRegistry(db, cipher)
        rng = random.Random(7)
        lat = []
        for _ in range(args.lookups):
            n = rng.randrange(args.rows)
            t = time.perf_counter()
            found = await registry.lookup_by_device(imei(n))
            lat.append((time.perf_counter() - t) * 1000)
            assert len(found) == 1 and found[0].customer_id == n // 3 + 1
        await db.dispose()
        print(f"lookup_by_device over {args.rows:,} rows, {args.lookups:,} look-ups: {summary(lat)}")

        out = Path(tmp) / "export.csv"
        env = {**os.environ, "DATABASE_URL": url, "DEVICE_ID_KEY": KEY, "PYTHONPATH": str(ROOT)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "devices", "export", "--out", str(out)], env=env, check=True, cwd=tmp
        )
        elapsed = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with out.open() as fh:
            lines = sum(1 for _ in fh) - 1
        assert lines == args.rows, lines
        print(
            f"export of {lines:,} rows via `python -m bot devices export`: {elapsed:.1f} s, "
            f"peak RSS {peak_mb:.0f} MB (child; before: {before / 1024:.0f} MB)"
        )


if __name__ == "__main__":
    asyncio.run(main())
