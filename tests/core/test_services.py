"""The composition root's services: keys, knowledge files, migrations and the shared Wakeup."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from pydantic import SecretStr

from bot.config import ConfigError, Settings
from bot.core.db import Database, alembic_config
from bot.core.errors import DatabaseUnavailable
from bot.core.feeds import parse_feed
from bot.core.services import Services, build_services, load_knowledge, resolve_device_key
from tests.conftest import TEST_KEY
from tests.helpers import recovery_feed, upd

ROOT = Path(__file__).resolve().parents[2]


def settings(tmp_path: Path, **kw: object) -> Settings:
    kw.setdefault("database_url", f"sqlite+aiosqlite:///{tmp_path}/s.db")
    kw.setdefault("knowledge_dir", ROOT / "prompts")
    return Settings(_env_file=None, status_channel_id=11, staff_channel_id=22, **kw)  # type: ignore[call-arg]


# -- the device-ID key ----------------------------------------------------------------------------


def test_the_configured_key_wins_and_no_file_is_made(tmp_path: Path) -> None:
    given = settings(tmp_path, device_id_key=SecretStr(TEST_KEY))
    assert resolve_device_key(given, generate_in=tmp_path / "data") == TEST_KEY
    assert not (tmp_path / "data").exists()


def test_without_a_key_and_nowhere_to_keep_one_the_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Setting DEVICE_ID_KEY is not set"):
        resolve_device_key(settings(tmp_path))


def test_a_generated_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "nested"
    key = resolve_device_key(settings(tmp_path), generate_in=folder)
    path = folder / "device_id.key"
    assert len(key) >= 32
    assert path.read_text(encoding="utf-8") == key + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_device_key(settings(tmp_path), generate_in=folder) == key
    assert resolve_device_key(settings(tmp_path), generate_in=tmp_path / "elsewhere") != key


def test_a_key_file_that_cannot_be_written_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"device_id\.key cannot be read or written"):
        resolve_device_key(settings(tmp_path), generate_in=blocker)


# -- the knowledge files ----------------------------------------------------------------------------


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the sample knowledge files to break."""
    return Path(shutil.copytree(ROOT / "prompts", tmp_path / "prompts", ignore=shutil.ignore_patterns("sample-*")))


def test_the_sample_knowledge_loads(tmp_path: Path, knowledge: Path) -> None:
    prompts, kb = load_knowledge(settings(tmp_path, knowledge_dir=knowledge))
    assert len(kb) == len(prompts.faq) > 5
    assert kb.search("is my data lost")[0].entry.question == "Is my data lost?"


def test_a_mistake_in_the_faq_names_the_file_and_line(tmp_path: Path, knowledge: Path) -> None:
    faq = knowledge / "faq.md"
    text = faq.read_text(encoding="utf-8").rstrip("\n") + "\n\n## \n"
    faq.write_text(text, encoding="utf-8")
    line = text.count("\n")
    with pytest.raises(ConfigError) as err:
        load_knowledge(settings(tmp_path, knowledge_dir=knowledge))
    assert str(err.value).startswith(f"The knowledge files in KNOWLEDGE_DIR ({knowledge}) have a mistake:")
    assert f"faq.md, line {line}: This '## ' heading has no question text after it." in str(err.value)


def test_a_file_that_is_not_utf8_names_the_file_and_line(tmp_path: Path, knowledge: Path) -> None:
    (knowledge / "safety.md").write_bytes(b"# Rules\n\nnever: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"safety\.md, line 3: "):
        load_knowledge(settings(tmp_path, knowledge_dir=knowledge))


def test_a_missing_folder_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"KNOWLEDGE_DIR \(.*nowhere\).*faq\.md.*cannot be read"):
        load_knowledge(settings(tmp_path, knowledge_dir=tmp_path / "nowhere"))


# -- building ---------------------------------------------------------------------------------------


async def test_one_wakeup_is_told_by_the_status_and_by_broadcasts(services: Services) -> None:
    wakeup = services.wakeup
    assert not wakeup.is_set()
    await services.status.ingest(parse_feed(recovery_feed([upd("a", 8, "One.")]), "recovery"))
    assert wakeup.is_set()
    wakeup.clear()
    await services.status.subscribe(1001)
    draft = await services.broadcasts.draft(7, "subscribers", "Hello from the team.")
    await services.broadcasts.confirm(draft.id)
    assert wakeup.is_set()


async def test_without_llm_key_or_feed_there_is_neither(services: Services) -> None:
    assert services.llm is None
    assert services.status.fetcher is None


async def test_llm_and_feed_are_built_from_their_settings(tmp_path: Path) -> None:
    svc = await build_services(
        settings(tmp_path, openai_api_key=SecretStr("sk-test"), openai_model="small-model",
                 status_feed_url="http://127.0.0.1:9/feed.json"),
        device_key=TEST_KEY,
    )
    try:
        assert svc.llm is not None and svc.llm.model == "small-model"
        assert svc.status.fetcher is not None and svc.status.fetcher.url == "http://127.0.0.1:9/feed.json"
    finally:
        await svc.close()


async def test_a_read_only_build_does_not_migrate(tmp_path: Path) -> None:
    head_script = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_script is not None
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head_script).down_revision
    assert isinstance(previous, str)
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    old = Database(url)
    await old.upgrade()
    await _downgrade(old, previous)
    await old.dispose()

    svc = await build_services(settings(tmp_path, database_url=url), device_key=TEST_KEY, migrate=False)
    try:
        assert await svc.db.current_revision() == (previous, head_script)
    finally:
        await svc.close()
    svc = await build_services(settings(tmp_path, database_url=url), device_key=TEST_KEY)
    try:
        assert await svc.db.current_revision() == (head_script, head_script)
    finally:
        await svc.close()


async def _downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()

    def _run(conn: object) -> None:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)


@pytest.mark.parametrize("migrate", [True, False])
async def test_an_unreachable_database_fails_clearly(tmp_path: Path, migrate: bool) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:9/none"
    with pytest.raises(DatabaseUnavailable, match="cannot be used"):
        await build_services(settings(tmp_path, database_url=url), device_key=TEST_KEY, migrate=migrate)


async def test_bad_knowledge_fails_before_the_database_is_touched(tmp_path: Path, knowledge: Path) -> None:
    (knowledge / "system.md").unlink()
    db_file = tmp_path / "untouched.db"
    with pytest.raises(ConfigError, match=r"system\.md"):
        await build_services(
            settings(tmp_path, knowledge_dir=knowledge, database_url=f"sqlite+aiosqlite:///{db_file}"),
            device_key=TEST_KEY,
        )
    assert not db_file.exists()
