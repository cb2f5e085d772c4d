"""Settings for several processes: health port and sharding."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bot import ShardedSupportBot, SupportBot, bot_class
from bot.config import ConfigError, load_settings


def test_unset_means_one_plain_bot_without_a_health_port(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEALTH_PORT", "")
    monkeypatch.setenv("SHARD_COUNT", "")
    s = load_settings()
    assert s.health_port is None and s.shard_count is None and s.shard_ids == []
    assert bot_class(s) == (SupportBot, {})


def test_shards(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "2, 3")
    s = load_settings()
    assert bot_class(s) == (ShardedSupportBot, {"shard_count": 4, "shard_ids": [2, 3]})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_IDS": "0,1"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "below SHARD_COUNT"),
        ({"HEALTH_PORT": "70000"}, "HEALTH_PORT"),
    ],
)
def test_mistakes_are_explained(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=message):
        load_settings()
