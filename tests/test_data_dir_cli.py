"""One data directory: what the sandbox wrote, the command line can read (`--sandbox`), and says where it is."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.core.answering import Question
from bot.core.services import build_services, resolve_device_key
from tests.helpers import IMEI

ROOT = Path(__file__).resolve().parents[1]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    keep = {k: os.environ[k] for k in ("PATH", "SYSTEMROOT") if k in os.environ}
    env = keep | {"PYTHONPATH": str(ROOT), "HOME": str(cwd), "KNOWLEDGE_DIR": str(ROOT / "prompts")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


async def test_the_command_line_reads_what_the_sandbox_wrote(tmp_path: Path) -> None:
    # what `python -m bot sandbox` leaves behind in ./data: its database and the key it generated
    data = tmp_path / "data"
    sandbox = Settings(_env_file=None, knowledge_dir=ROOT / "prompts", data_dir=data)  # type: ignore[call-arg]
    local = sandbox.model_copy(update={"database_url": f"sqlite+aiosqlite:///{data}/sandbox.db"})
    assert local.database_url == sandbox.sandbox_database_url
    services = await build_services(local, device_key=resolve_device_key(local, generate_in=data))
    await services.registry.register(1234567890123456789, IMEI, username="alex")
    await services.answerer.answer(Question(1234567890123456789, "is my data lost?", 1, "dm"))
    await services.close()

    plain = cli(tmp_path, "stats")  # the operator's own database: empty, and it says where to look
    assert plain.returncode == 0, plain.stderr
    assert "Registrations: 0 devices from 0 customers" in plain.stdout
    assert "add --sandbox" in plain.stdout and "data/sandbox.db" in plain.stdout

    shown = cli(tmp_path, "--sandbox", "stats")
    assert shown.returncode == 0, shown.stderr
    assert "Registrations: 1 device from 1 customer" in shown.stdout and "Questions: 1 " in shown.stdout
    assert "sandbox.db" in shown.stdout and "add --sandbox" not in shown.stdout

    out = tmp_path / "devices.csv"
    exported = cli(tmp_path, "--sandbox", "devices", "export", "--out", str(out))  # no DEVICE_ID_KEY needed
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 1 registration to" in exported.stdout
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert (row["customer_id"], row["username"], row["device_id"]) == ('="1234567890123456789"', "alex", f'="{IMEI}"')
