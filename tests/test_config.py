from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import HINTS, ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def _example_names() -> list[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def test_env_example_lists_every_setting_once_with_a_comment() -> None:
    names = _example_names()
    assert sorted(names) == sorted(n.upper() for n in Settings.model_fields)
    assert len(names) == len(set(names))
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[i - 1].startswith("#"), f"{line} has no comment above it"


def test_env_example_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.discord_api_base == "https://discord.com/api/v10"
    assert s.support_channel_ids == []
    assert s.device_id_key is None


def test_every_setting_has_an_operator_hint() -> None:
    assert set(HINTS) == set(Settings.model_fields)


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./data/supportbot.db"
    assert s.discord_gateway_url == "wss://gateway.discord.gg/"
    assert s.status_feed_format == "auto"
    assert s.status_poll_seconds == 60
    assert s.knowledge_dir == Path("prompts")
    assert s.openai_api_key is None
    assert (s.surge_queued_requests, s.surge_thread_wait_seconds, s.surge_calm_seconds) == (25, 3.0, 60.0)


def test_lists_and_case(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPPORT_CHANNEL_IDS", " 11, 22 ,33 ")
    monkeypatch.setenv("STAFF_ROLE_IDS", "44")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("STATUS_FEED_FORMAT", "Atom")
    monkeypatch.setenv("GUILD_ID", "")
    s = load_settings()
    assert s.support_channel_ids == [11, 22, 33]
    assert s.staff_role_ids == [44]
    assert s.log_level == "DEBUG"
    assert s.status_feed_format == "atom"
    assert s.guild_id is None


@pytest.mark.parametrize(
    ("name", "value", "expect"),
    [
        ("SUPPORT_CHANNEL_IDS", "general,123", "SUPPORT_CHANNEL_IDS"),
        ("GUILD_ID", "my-server", "GUILD_ID"),
        ("STATUS_POLL_SECONDS", "0.5", "STATUS_POLL_SECONDS"),
        ("STATUS_FEED_FORMAT", "json", "STATUS_FEED_FORMAT"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("DEVICE_ID_KEY", "change-me", "DEVICE_ID_KEY"),
        ("DEVICE_ID_KEY", "short", "DEVICE_ID_KEY"),
        ("DEVICE_SERIAL_PATTERN", "([A-Z", "DEVICE_SERIAL_PATTERN"),
        ("DISCORD_API_BASE", "discord.com", "DISCORD_API_BASE"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("SURGE_QUEUED_REQUESTS", "0", "SURGE_QUEUED_REQUESTS"),
        ("SURGE_QUEUED_REQUESTS", "many", "SURGE_QUEUED_REQUESTS"),
        ("SURGE_QUEUED_REQUESTS", "2.5", "SURGE_QUEUED_REQUESTS"),
        ("SURGE_THREAD_WAIT_SECONDS", "0", "SURGE_THREAD_WAIT_SECONDS"),
        ("SURGE_THREAD_WAIT_SECONDS", "nan", "SURGE_THREAD_WAIT_SECONDS"),
        ("SURGE_THREAD_WAIT_SECONDS", "-3", "SURGE_THREAD_WAIT_SECONDS"),
        ("SURGE_CALM_SECONDS", "0.5", "SURGE_CALM_SECONDS"),
        ("SURGE_CALM_SECONDS", "inf", "SURGE_CALM_SECONDS"),
    ],
)
def test_bad_setting_is_one_plain_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, expect: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    msg = str(info.value)
    assert msg.startswith(f"Setting {expect} is not valid")
    assert HINTS[expect.lower()] in msg
    assert "Traceback" not in msg and "pydantic" not in msg


def _run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True,
        timeout=60,
    )


def test_cli_config_mistake_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    r = _run_cli(["check"], tmp_path, {"STAFF_ROLE_IDS": "admins"})
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "Setting STAFF_ROLE_IDS is not valid" in r.stderr


def test_cli_bad_dotenv_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("STATUS_POLL_SECONDS=soon\n", encoding="utf-8")
    r = _run_cli(["db", "upgrade"], tmp_path, {})
    assert r.returncode == 2
    assert "Setting STATUS_POLL_SECONDS is not valid" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_run_without_token(tmp_path: Path) -> None:
    r = _run_cli(["run"], tmp_path, {"DEVICE_ID_KEY": "k" * 32})
    assert r.returncode == 2
    assert "DISCORD_TOKEN is not set" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_help_everywhere(tmp_path: Path) -> None:
    for args in (["--help"], ["run", "--help"], ["check", "--help"], ["db", "--help"], ["db", "upgrade", "--help"],
                 ["devices", "--help"], ["devices", "export", "--help"], ["devices", "count", "--help"],
                 ["sandbox", "--help"], ["ask", "--help"], ["stats", "--help"]):
        r = _run_cli(args, tmp_path, {})
        assert r.returncode == 0, (args, r.stderr)
        assert "usage:" in r.stdout
