"""Staff FAQ edits: applied at once, kept across restarts, and never serving an answer built on old text."""

from __future__ import annotations

from bot.core.services import Services, build_services
from tests.conftest import TEST_KEY

ALICE = 1001


async def test_faq_edits_persist_and_invalidate_cached_answers(services: Services) -> None:
    entry = await services.faq.add(
        9, "Is the outage over in Canada?", "Canada is affected like everywhere.", ["canada"]
    )
    hits = services.knowledge.search("is the outage over in canada")
    assert hits and hits[0].entry.key == entry.key
    await services.conversations.store_cache(["k1"], "old answer", (entry.key,), "v", ALICE)
    await services.faq.edit(9, entry.key, question=None, answer="Canada: same as everywhere else.", keywords=None)
    assert await services.conversations.cached(["k1"]) is None
    await services.faq.remove(9, "will-i-get-compensation")
    assert services.knowledge.get("will-i-get-compensation") is None
    # a restart reads the files again and re-applies the staff edits
    again = await build_services(services.settings, device_key=TEST_KEY)
    try:
        edited = again.knowledge.get(entry.key)
        assert edited is not None and edited.answer == "Canada: same as everywhere else."
        assert again.knowledge.get("will-i-get-compensation") is None
        assert await again.faq.reload() == len(again.knowledge)
        assert again.knowledge.get(entry.key) is not None  # reload keeps staff edits
    finally:
        await again.close()
