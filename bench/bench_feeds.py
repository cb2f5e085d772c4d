"""Parse-rate benchmark for bot.core.feeds: `python bench/bench_feeds.py` from the repo root.

Prints payloads/s for the GitHub Statuspage summary, the 25-entry GitHub history Atom feed, and a
generated 100,000-device recovery page (half the devices carry per-data-type progress; every
device has its own `updated_at`, so the parser's timestamp memo does not help).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import parse_with_smoke  # noqa: E402
from bot.core.feeds import parse_feed  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "status-feeds"
NOW = datetime(2025, 7, 16, tzinfo=UTC)


def recovery_page(count: int) -> bytes:
    start = datetime(2009, 10, 3, tzinfo=UTC)
    items = []
    for i in range(count):
        item: dict[str, object] = {
            "device_id": f"35891204{i:07d}",
            "state": ("restored", "partial", "in_progress", "pending")[i % 4],
            "updated_at": (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
        }
        if i % 2:
            item["progress"] = {
                "contacts": {"state": "restored", "percent": 100},
                "calendar": {"state": "partial", "percent": i % 100},
                "photos": {"state": "in_progress", "percent": (i * 7) % 100},
            }
        items.append(item)
    doc = {"version": 1, "generated_at": "2009-10-05T16:00:00Z", "devices": {"items": items, "next_cursor": "c"}}
    return json.dumps(doc, separators=(",", ":")).encode()


def rate(body: bytes, min_seconds: float = 2.0) -> tuple[float, int]:
    runs, start = 0, time.perf_counter()
    while True:
        parse_feed(body, now=NOW)
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and runs >= 3:
            return runs / elapsed, runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=100_000, help="devices on the generated recovery page")
    ap.add_argument("--seconds", type=float, default=2.0, help="minimum seconds of parsing per payload")
    args = parse_with_smoke(ap, devices=500, seconds=0.05)
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("statuspage summary (GitHub, 1 incident, 7 updates)",
         lambda: (FIXTURES / "statuspage_github_summary_2022-11-25_active-incident.json").read_bytes()),
        ("atom history (GitHub, 25 entries, 128 updates)",
         lambda: (FIXTURES / "githubstatus_history_2025-07-14_before-edit.atom").read_bytes()),
        (f"recovery page ({args.devices:,} devices)", lambda: recovery_page(args.devices)),
    ]  # fmt: skip
    print(f"python {sys.version.split()[0]}")
    for name, load in cases:
        body = load()
        per_second, runs = rate(body, args.seconds)
        print(f"{name:52s} {len(body) / 1e3:10.1f} kB  {per_second:10.1f} payloads/s  "
              f"({1000 / per_second:8.2f} ms each, {runs} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
