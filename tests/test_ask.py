"""`python -m bot ask` in process: it reads what the bot stored and changes none of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.ask import run_ask
from bot.config import Settings
from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.models import AnswerCache, LlmUsage
from tests.fakes.openai_server import FakeOpenAI, Scripted
from tests.helpers import recovery_feed, sqlite_database, status_service, upd

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "can I back up my phone to my computer?"  # an FAQ question: the LLM answers it


def settings(url: str, **extra: object) -> Settings:
    return Settings(_env_file=None, database_url=url, knowledge_dir=ROOT / "prompts", **extra)  # type: ignore[call-arg]


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file in the folder with its modification time and content."""
    return {
        p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.iterdir())
    }


async def test_ask_reads_the_stored_status_and_writes_nothing(
    tmp_path: Path, fake_llm: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite+aiosqlite:///{folder}/bot.db"
    async with sqlite_database(folder / "bot.db") as db:
        feed = recovery_feed([upd("a", 8, "Contacts are coming back.")])
        await status_service(db).ingest(parse_feed(feed, "recovery"))
    before = fingerprint(folder)
    fake_llm.default = Scripted(text="Your contacts are being restored now.")
    ask_settings = settings(url, openai_api_key="k", openai_base_url=fake_llm.base_url)
    for _ in range(2):  # the same question twice: a cached answer would spare the second LLM call
        assert await run_ask(ask_settings, QUESTION, None, None) == 0
    out = capsys.readouterr()
    assert out.out.count("Your contacts are being restored now.") == 2
    assert "Contacts are coming back." in fake_llm.all_sent_text()  # the stored status, given to the LLM
    assert len(fake_llm.requests) == 2 and "No status is stored" not in out.err
    assert await run_ask(ask_settings, "when will my contacts be back?", None, None) == 0
    assert "Status as of 28 Nov 2026, 08:00 UTC" in capsys.readouterr().out  # answered from the database
    assert fingerprint(folder) == before  # not a byte, not a timestamp; no journal left behind
    db = Database(url)
    try:
        async with db.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(AnswerCache)) == 0
            assert await s.scalar(select(func.count()).select_from(LlmUsage)) == 0
    finally:
        await db.dispose()


async def test_ask_before_the_bot_ever_ran_answers_and_creates_nothing(
    tmp_path: Path, fake_llm: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/data/bot.db"
    fake_llm.default = Scripted(text="Please keep your phone charged.")
    question = "can I back up my phone now?"
    ask_settings = settings(url, openai_api_key="k", openai_base_url=fake_llm.base_url)
    assert await run_ask(ask_settings, question, None, None) == 0
    out = capsys.readouterr()
    assert "Please keep your phone charged." in out.out
    assert "No status is stored yet" in out.err
    assert list(tmp_path.iterdir()) == []


async def test_ask_on_a_database_without_tables_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.db"
    empty = Database(f"sqlite+aiosqlite:///{path}")
    async with empty.engine.connect():
        pass  # an empty database file, as a new server would have
    await empty.dispose()
    before = fingerprint(tmp_path)
    assert await run_ask(settings(f"sqlite+aiosqlite:///{path}"), "Should I reset my phone?", None, None) == 0
    out = capsys.readouterr()
    assert "do not reset your phone" in out.out.lower() and "has no tables" in out.err
    assert fingerprint(tmp_path) == before


async def test_ask_as_a_customer_answers_from_their_own_devices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.core.crypto import DeviceCipher
    from bot.core.registry import DeviceRegistry
    from tests.conftest import TEST_KEY

    mine = "490154203237518"
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    async with sqlite_database(tmp_path / "bot.db") as db:
        await DeviceRegistry(db, DeviceCipher(TEST_KEY)).register(7, mine)
        device = {
            "device_id": mine, "state": "partial", "updated_at": "2026-11-28T08:00:00Z",
            "progress": {"contacts": {"state": "restored", "percent": 100}, "photos": {"state": "pending"}},
        }
        feed = recovery_feed([upd("a", 8, "Contacts are coming back.")], devices=[device])
        await status_service(db).ingest(parse_feed(feed, "recovery"))
    ask_settings = settings(url, device_id_key=TEST_KEY)
    assert await run_ask(ask_settings, "is my phone restored?", None, None, customer=7) == 0
    out = capsys.readouterr().out
    assert "Your device ****7518: contacts restored and photos not started yet." in out
    assert mine not in out
    assert await run_ask(ask_settings, "is my phone restored?", None, None) == 0  # a fresh customer
    assert "/device register" in capsys.readouterr().out


async def test_ask_applies_the_channel_rate_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    lines = tmp_path / "q.jsonl"
    lines.write_text("\n".join(['{"q": "should I reset my phone?", "customer": 5}'] * 8), encoding="utf-8")
    assert await run_ask(settings(url, questions_per_minute=6), None, lines, None) == 0
    sources = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert ['"source": "limit"' in line for line in sources] == [False] * 6 + [True] * 2
