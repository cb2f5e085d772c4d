"""LLM_TIMEOUT_SECONDS is the budget of a whole answer, retries included."""

from __future__ import annotations

import pytest

from bot.core.llm import LLMClient, LLMError
from bot.core.metrics import Local, Metrics
from tests.fakes.openai_server import FakeOpenAI, Scripted


async def test_a_slow_llm_gets_one_attempt_within_the_budget_not_one_per_retry(fake_llm: FakeOpenAI) -> None:
    fake_llm.default = Scripted(delay=4.0)  # longer than the budget
    client = LLMClient(api_key="k", model="m", base_url=fake_llm.base_url, timeout=1.0, max_retries=2)
    try:
        with pytest.raises(LLMError, match="timeout"):
            await client.complete([{"role": "user", "content": "hello"}])
    finally:
        await client.close()
    # with a timeout per attempt, the two retries would each have waited the full second again
    assert len(fake_llm.requests) == 1


async def test_quick_failures_are_still_retried_within_the_budget(fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(Scripted(status=500), Scripted(text="Your data is safe."))
    client = LLMClient(api_key="k", model="m", base_url=fake_llm.base_url, timeout=10.0, max_retries=2)
    try:
        reply = await client.complete([{"role": "user", "content": "hello"}])
    finally:
        await client.close()
    assert reply.text == "Your data is safe."
    assert len(fake_llm.requests) == 2


async def test_each_answer_is_timed_for_metrics(fake_llm: FakeOpenAI) -> None:
    metrics = Metrics()
    fake_llm.queue(Scripted(text="Yes."), Scripted(status=400))
    client = LLMClient(
        api_key="k", model="m", base_url=fake_llm.base_url, timeout=10.0, max_retries=0, observe=metrics.observe_llm
    )
    try:
        await client.complete([{"role": "user", "content": "one"}])
        with pytest.raises(LLMError):
            await client.complete([{"role": "user", "content": "two"}])
    finally:
        await client.close()
    text = metrics.render(None, Local()).decode()
    assert 'supportbot_llm_seconds_count{outcome="ok"} 1.0' in text
    assert 'supportbot_llm_seconds_count{outcome="error"} 1.0' in text
    assert 'supportbot_llm_errors_total{reason="BadRequestError"} 1.0' in text
