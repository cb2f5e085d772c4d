from __future__ import annotations

from pathlib import Path

from bot.check import run_checks
from bot.config import Settings
from tests.conftest import TEST_KEY
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]


async def report(**values: object) -> tuple[int, str]:
    lines: list[str] = []
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    code = await run_checks(settings, printer=lines.append)
    return code, "\n".join(lines)


async def test_everything_reachable(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    code, text = await report(
        discord_token="t", device_id_key=TEST_KEY, database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
        knowledge_dir=ROOT / "prompts", status_feed_url=str(ROOT / "prompts/sample-status/recovery.json"),
        openai_api_key="k", openai_base_url=fake_llm.base_url,
    )
    assert code == 0, text
    assert "recovery feed, 1 incident(s), 5 update(s), 10 device state(s)" in text
    assert "FAQ entries" in text and "reachable, model" in text
    assert text.endswith("All checks passed.")


async def test_problems_are_named(tmp_path: Path) -> None:
    bad_prompts = tmp_path / "prompts"
    bad_prompts.mkdir()
    (bad_prompts / "faq.md").write_text("## A question with no answer\n", encoding="utf-8")
    code, text = await report(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", knowledge_dir=bad_prompts,
        status_feed_url=str(ROOT / "README.md"), openai_api_key="k", openai_base_url="http://127.0.0.1:9/v1",
    )
    assert code == 1
    assert "FAIL DISCORD_TOKEN" in text and "FAIL DEVICE_ID_KEY" in text
    assert "faq.md" in text and "line 1" in text
    assert "neither JSON nor XML" in text
    assert "server is running" in text
    assert "FAIL LLM" in text
    assert "Traceback" not in text
