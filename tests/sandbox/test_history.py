"""The sandbox keeps channel history across restarts: the same world comes back with its messages."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import SandboxServer
from bot.sandbox.demo import build_demo_world
from bot.sandbox.history import load_history, save_history


async def _started() -> SandboxServer:
    server = SandboxServer(stable_ids=True, bot_name="Larkspur Support Bot")
    await server.start()
    return server


async def test_messages_threads_and_dms_come_back_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-history.json"
    first = await _started()
    try:
        demo = await build_demo_world(first.driver)
        hello = await first.driver.user_says(demo.alex, demo.support, "My contacts are gone")
        thread = await first.driver.create_thread(demo.support, "alex's question", owner=demo.alex)
        await first.driver.user_says(demo.alex, thread, "Here is more detail")
        await first.driver.user_says(demo.alex, "dm", "hello bot")
        save_history(first.world, path)
    finally:
        await first.stop()

    second = await _started()
    try:
        again = await build_demo_world(second.driver)
        assert again.support.id == demo.support.id  # stable ids: the same world
        assert second.driver.messages_in(again.support) == []
        assert load_history(second.world, path) == 3
        (back,) = second.driver.messages_in(again.support)
        assert (back.id, back.content, back.author_id) == (hello.id, "My contacts are gone", demo.alex.id)
        restored_thread = second.world.channels[thread.id]
        assert restored_thread.parent_id == again.support.id and thread.id in again.guild.channels
        assert [m.content for m in second.driver.messages_in(restored_thread)] == ["Here is more detail"]
        assert [m.content for m in second.driver.messages_in(second.driver.dm_channel(again.alex))] == ["hello bot"]
        later = await second.driver.user_says(again.alex, again.support, "Still there?")
        assert later.id > hello.id
    finally:
        await second.stop()


def test_a_missing_or_foreign_file_restores_nothing(tmp_path: Path) -> None:
    from bot.sandbox.world import World

    world = World()
    assert load_history(world, tmp_path / "none.json") == 0
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert load_history(world, tmp_path / "bad.json") == 0
    (tmp_path / "old.json").write_text('{"version": 99, "messages": []}', encoding="utf-8")
    assert load_history(world, tmp_path / "old.json") == 0
