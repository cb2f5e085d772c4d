"""Issue 11 end to end: device IDs never leak and unsafe advice never reaches a customer, however spelled.

The real discord.py client against the sandbox, and the real `openai` client against the local
fake server returning the hostile corpus (tests/corpora/hostile_model_outputs.jsonl).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from bench.bench_text_safety import leaked
from tests.e2e.conftest import StartBot, World
from tests.e2e.test_admin_e2e import slash
from tests.fakes.openai_server import FakeOpenAI, Scripted

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
SERIAL = r"WR\d{8}"
IMEI = "352099001761481"
SPACED = "35\u00a0209900\u2009176148\u200b1"


def corpus(name: str) -> list[dict[str, object]]:
    with (CORPORA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def published(world: World) -> str:
    d = world.driver
    texts = []
    for m in d.bot_messages():
        texts.append(m.content)
        texts.extend(json.dumps(e, ensure_ascii=False) for e in m.embeds)
    texts.extend(ch.name for ch in d.server.world.channels.values() if getattr(ch, "name", None))
    return "\n".join(texts)


async def test_ids_spelled_every_way_are_removed_wherever_the_bot_can_see_them(
    world: World, start_bot: StartBot
) -> None:
    runner = await start_bot(device_serial_pattern=SERIAL, questions_per_minute=600)
    d = world.driver
    items = [i for i in corpus("hostile_customer_inputs.jsonl") if i["kind"] == "id"][::4]
    channels = [world.support, world.general]
    for n, item in enumerate(items):
        said = await d.user_says(world.alice if n % 2 else world.bob, channels[n % 2], str(item["text"]))
        await runner.wait(d.wait_for_event("message_delete", lambda e, s=said: e.message is not None
                                           and e.message.id == s.id))
    ids = [str(i) for item in items for i in item["ids"]]  # type: ignore[attr-defined]
    assert not leaked(published(world), ids)
    threads = [c for c in d.server.world.channels.values() if getattr(c, "parent_id", None) == world.support.id]
    assert threads == []  # no thread was named after a message holding an ID


async def test_an_edit_that_adds_an_id_is_removed(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    said = await d.user_says(world.alice, world.general, "my photos are gone")
    await d.user_edits(world.alice, said, f"my photos are gone, imei {SPACED}")
    await runner.wait(d.wait_for_event("message_delete", lambda e: e.message is not None and e.message.id == said.id))
    notice = await runner.wait(d.wait_for_message(after=said, channel=d.dm_channel(world.alice)))
    assert "/device register" in notice.content


async def test_staff_posting_an_id_in_public_is_removed_too(world: World, start_bot: StartBot) -> None:
    runner = await start_bot()
    d = world.driver
    said = await d.user_says(world.jordan, world.support, f"Alice, is your IMEI {IMEI}?")
    await runner.wait(d.wait_for_event("message_delete", lambda e: e.message is not None and e.message.id == said.id))


async def test_a_mention_with_an_id_logs_no_id(
    world: World, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.core.text.logfilter import DeviceIdLogFilter
    from bot.core.text.scanner import IdScanner

    caplog.handler.addFilter(DeviceIdLogFilter(IdScanner()))
    caplog.set_level(logging.DEBUG)
    runner = await start_bot()
    d = world.driver
    said = await d.user_says(world.alice, world.general, f"<@{d.bot_user.id}> {IMEI} lost my photos")
    await runner.wait(d.wait_for_event("message_delete", lambda e: e.message is not None and e.message.id == said.id))
    assert IMEI not in caplog.text


async def test_hostile_model_outputs_never_reach_the_customer(
    world: World, start_bot: StartBot, fake_llm: FakeOpenAI
) -> None:
    outputs = corpus("hostile_model_outputs.jsonl")
    runner = await start_bot(
        openai_api_key="k", openai_base_url=fake_llm.base_url, openai_model="fake-model",
        device_serial_pattern=SERIAL, questions_per_minute=600, company_domains="larkspur.example",
    )
    d = world.driver
    dm = d.dm_channel(world.alice)
    through = []
    for n, item in enumerate(outputs):
        text, kind = str(item["text"]), str(item["kind"])
        fake_llm.default = Scripted(text=text)  # (a queue would shift after a cache hit)
        asked = await d.user_says(world.alice, "dm", f"tell me about the outage please, question {n}")
        await runner.wait(d.wait_for_message(after=asked, channel=dm))
        await runner.wait(d.sleep_until(lambda a=asked: _settled(world, a)))
        replies = [m for m in d.bot_messages(dm) if m.id > asked.id]
        shown = "\n".join(m.content for m in replies)
        bad = (
            leaked(shown, [str(i) for i in item.get("ids", [])])  # type: ignore[attr-defined]
            or (kind in ("unsafe", "claim", "internal", "prompt") and _squash(text)[:60] in _squash(shown))
            or (kind == "mention" and any(not m.pings.empty for m in replies))
            or (kind == "mention" and re.search(r"@(everyone|here)", shown, re.IGNORECASE) is not None)
            or (kind == "length" and (len(replies) > 2 or any(len(m.content) > 2000 for m in replies)))
        )
        if bad:
            through.append((item["id"], kind))
    assert through == []
    assert len(fake_llm.requests) >= len(outputs) // 2  # the model was really asked (cache hits aside)
    assert IMEI not in fake_llm.all_sent_text()
    stats = await slash(runner, world, world.jordan, "admin stats")  # refusals are counted for staff
    refused = re.search(r"Model answers refused by the checks: (\d+) of (\d+) \((.*)\)", stats.content)
    assert refused is not None and int(refused.group(1)) >= 100
    assert all(reason in refused.group(3) for reason in ("claim", "never", "device", "internal", "prompt"))


async def test_the_cache_never_carries_one_customers_id_to_another(
    world: World, start_bot: StartBot, fake_llm: FakeOpenAI
) -> None:
    runner = await start_bot(openai_api_key="k", openai_base_url=fake_llm.base_url, openai_model="fake-model")
    d = world.driver
    fake_llm.default = Scripted(text=f"About refunds for your phone {SPACED}: nothing has been decided yet.")
    asked = await d.user_says(world.alice, "dm", f"refund? my imei is {SPACED}")
    await runner.wait(d.wait_for_message(after=asked, channel=d.dm_channel(world.alice)))
    fake_llm.default = Scripted(text="Nothing about refunds has been decided yet.")
    asked = await d.user_says(world.bob, "dm", "refund?")
    reply = await runner.wait(d.wait_for_message(after=asked, channel=d.dm_channel(world.bob)))
    assert not leaked(reply.content, [IMEI])
    assert not leaked(published(world), [IMEI])
    assert IMEI not in fake_llm.all_sent_text()


def _squash(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _settled(world: World, asked: object) -> bool:
    """The answer is complete: its last part carries the feedback or hand-over buttons."""
    dm = world.driver.dm_channel(world.alice)
    replies = [m for m in world.driver.bot_messages(dm) if m.id > asked.id]  # type: ignore[attr-defined]
    return bool(replies) and bool(replies[-1].components)


async def test_the_publish_guard_catches_what_a_forgetful_path_would_send(world: World, start_bot: StartBot) -> None:
    from bot.core.answering import Answer

    runner = await start_bot()
    d = world.driver
    services = runner.bot.services  # type: ignore[attr-defined]
    raw = f"Your phone {SPACED} is fine."

    async def forgetful(*args: object, **kwargs: object) -> Answer:
        return Answer(text=raw, source="offline", parts=(raw,))  # as if a path forgot to redact

    services.answerer.answer = forgetful  # the one thing faked: a bug inside the core
    asked = await d.user_says(world.alice, "dm", "is my phone ok?")
    reply = await runner.wait(d.wait_for_message(after=asked))
    handle = await d.run_slash(world.bob, "ask", {"question": "is my phone ok?"}, channel=world.general)
    followup = await runner.wait(handle.wait_message())
    for shown in (reply.content, followup.content):
        assert not leaked(shown, [IMEI]) and "[device ID removed]" in shown
    assert runner.bot.publish_guard.removed == 2  # type: ignore[attr-defined]
