"""The staff commands of `python -m bot` that answer no questions, run from outside the repository.

They must not need the knowledge files: KNOWLEDGE_DIR defaults to a relative `prompts`, which does not
exist in an operator's own folder (bench/bench_lookup_export.py runs the export exactly like this).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.registry import DeviceRegistry
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]
IMEI = "490154203237518"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )


async def test_devices_export_runs_outside_the_repository_without_knowledge_files(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    db = Database(url)
    await db.upgrade()
    registry = DeviceRegistry(db, DeviceCipher(TEST_KEY))
    await registry.register(42, IMEI)
    await registry.flush()
    await db.dispose()
    assert not (tmp_path / "prompts").exists()

    r = run(["devices", "export", "--out", "out.csv"], tmp_path, DATABASE_URL=url, DEVICE_ID_KEY=TEST_KEY)
    assert r.returncode == 0, r.stderr
    assert "Wrote 1 registration to out.csv." in r.stdout
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1
    assert rows[0]["device_id"] == f'="{IMEI}"'  # the one place full IDs go, for staff (text in spreadsheets)

    r = run(["devices", "count"], tmp_path, DATABASE_URL=url)
    assert r.returncode == 0, r.stderr
    assert "total: 1" in r.stdout


def test_stats_and_db_upgrade_run_outside_the_repository(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    r = run(["db", "upgrade"], tmp_path, DATABASE_URL=url, KNOWLEDGE_DIR=str(tmp_path / "missing"))
    assert r.returncode == 0, r.stderr
    assert "is at revision" in r.stdout
    r = run(["stats"], tmp_path, DATABASE_URL=url, KNOWLEDGE_DIR=str(tmp_path / "missing"))
    assert r.returncode == 0, r.stderr
    assert "Registrations: 0 devices" in r.stdout


def test_commands_that_answer_questions_still_need_the_knowledge_files(tmp_path: Path) -> None:
    # the positive control: from the same folder, `ask` does need them, and says so plainly
    r = run(["ask", "is my data lost?"], tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/a.db")
    assert r.returncode == 2
    assert "KNOWLEDGE_DIR" in r.stderr and "Traceback" not in r.stderr
