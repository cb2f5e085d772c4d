"""The LLM adapter, with the real `openai` client against the local server in tests/fakes/openai_server.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.core.llm import HANDOVER_TOOL, LLMClient, LLMError, LLMReply
from tests.fakes.openai_server import FakeOpenAI, Scripted

QUESTION = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Are my photos safe?"}]


@pytest.fixture
async def llm(fake_llm: FakeOpenAI) -> AsyncIterator[LLMClient]:
    client = LLMClient(
        api_key="test-key", model="fake-model", base_url=fake_llm.base_url, timeout=5, max_retries=0, max_tokens=123
    )
    yield client
    await client.close()


def completion(message: dict[str, object], usage: dict[str, int] | None = None) -> str:
    body: dict[str, object] = {
        "id": "chatcmpl-raw", "object": "chat.completion", "created": 0, "model": "fake-model",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}],
    }
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body)


async def test_an_answer_is_read_with_its_token_count(llm: LLMClient, fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(Scripted(text="  Yes, they are being restored.\n", tokens=321))
    reply = await llm.complete(QUESTION)
    assert reply == LLMReply(text="Yes, they are being restored.", handover_reason=None, tokens=321)


async def test_the_request_carries_model_messages_limit_and_the_hand_over_tool(
    llm: LLMClient, fake_llm: FakeOpenAI
) -> None:
    await llm.complete(QUESTION)
    (sent,) = fake_llm.requests
    assert sent["model"] == "fake-model"
    assert sent["messages"] == QUESTION
    assert sent["max_tokens"] == 123
    assert [t["function"]["name"] for t in sent["tools"]] == ["hand_over_to_staff"]
    assert sent["tools"][0] == HANDOVER_TOOL


async def test_a_hand_over_tool_call_is_parsed_with_its_reason(llm: LLMClient, fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(Scripted(text=None, tool=("hand_over_to_staff", {"reason": "asks for a person"}), tokens=40))
    reply = await llm.complete(QUESTION)
    assert reply == LLMReply(text="", handover_reason="asks for a person", tokens=40)


async def test_a_hand_over_with_text_keeps_both(llm: LLMClient, fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(Scripted(text="A colleague will join.", tool=("hand_over_to_staff", {"reason": "upset"})))
    reply = await llm.complete(QUESTION)
    assert (reply.text, reply.handover_reason) == ("A colleague will join.", "upset")


@pytest.mark.parametrize("arguments", ["not json", "[1]", "{}", '{"reason": ""}'])
async def test_a_hand_over_with_unreadable_arguments_still_hands_over(
    llm: LLMClient, fake_llm: FakeOpenAI, arguments: str
) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "hand_over_to_staff", "arguments": arguments}}
    fake_llm.queue(Scripted(raw=completion({"content": None, "tool_calls": [call]})))
    reply = await llm.complete(QUESTION)
    assert reply.handover_reason == "requested by the assistant"


async def test_a_call_of_another_tool_is_not_a_hand_over(llm: LLMClient, fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(Scripted(text="Here you go.", tool=("delete_everything", {"reason": "x"})))
    reply = await llm.complete(QUESTION)
    assert (reply.text, reply.handover_reason) == ("Here you go.", None)
    fake_llm.queue(Scripted(text=None, tool=("delete_everything", {"reason": "x"})))
    with pytest.raises(LLMError, match="empty answer"):
        await llm.complete(QUESTION)


@pytest.mark.parametrize("text", [None, "", "   \n "])
async def test_an_empty_answer_is_an_error(llm: LLMClient, fake_llm: FakeOpenAI, text: str | None) -> None:
    fake_llm.queue(Scripted(text=text))
    with pytest.raises(LLMError, match="empty answer"):
        await llm.complete(QUESTION)


async def test_a_response_without_usage_counts_no_tokens(llm: LLMClient, fake_llm: FakeOpenAI) -> None:
    fake_llm.queue(Scripted(raw=completion({"content": "Hello."})))
    assert (await llm.complete(QUESTION)).tokens == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("this is not json", "malformed response"),
        ("{}", "no choices"),
        ('{"choices": []}', "no choices"),
    ],
    ids=["not-json", "empty-object", "no-choices"],
)
async def test_a_malformed_body_is_an_error(llm: LLMClient, fake_llm: FakeOpenAI, raw: str, message: str) -> None:
    fake_llm.queue(Scripted(raw=raw))
    with pytest.raises(LLMError, match=message):
        await llm.complete(QUESTION)


@pytest.mark.parametrize(
    "raw",
    ["[1, 2]", '{"choices": "x"}', '{"choices": [{"index": 0, "message": null}]}'],
    ids=["a-list", "choices-a-string", "message-null"],
)
async def test_a_body_of_the_wrong_shape_is_an_error(llm: LLMClient, fake_llm: FakeOpenAI, raw: str) -> None:
    fake_llm.queue(Scripted(raw=raw))
    with pytest.raises(LLMError):
        await llm.complete(QUESTION)


@pytest.mark.parametrize(("status", "name"), [(500, "InternalServerError"), (429, "RateLimitError"),
                                              (401, "AuthenticationError"), (400, "BadRequestError")])
async def test_http_errors_are_llm_errors(llm: LLMClient, fake_llm: FakeOpenAI, status: int, name: str) -> None:
    fake_llm.queue(Scripted(status=status))
    with pytest.raises(LLMError, match=name):
        await llm.complete(QUESTION)
    assert len(fake_llm.requests) == 1  # max_retries=0: one request, no retry


async def test_a_server_error_is_retried_within_the_clients_retries(fake_llm: FakeOpenAI) -> None:
    client = LLMClient(api_key="k", model="fake-model", base_url=fake_llm.base_url, timeout=5, max_retries=1)
    try:
        fake_llm.queue(Scripted(status=500), Scripted(text="Second time lucky."))
        assert (await client.complete(QUESTION)).text == "Second time lucky."
        assert len(fake_llm.requests) == 2
    finally:
        await client.close()


async def test_a_slow_answer_times_out_as_an_llm_error(fake_llm: FakeOpenAI) -> None:
    client = LLMClient(api_key="k", model="fake-model", base_url=fake_llm.base_url, timeout=0.3, max_retries=0)
    try:
        fake_llm.queue(Scripted(delay=1.0))
        with pytest.raises(LLMError, match="timeout"):
            await client.complete(QUESTION)
    finally:
        await client.close()


async def test_an_unreachable_server_is_an_llm_error() -> None:
    client = LLMClient(api_key="k", model="m", base_url="http://127.0.0.1:9/v1", timeout=2, max_retries=0)
    try:
        with pytest.raises(LLMError, match="APIConnectionError"):
            await client.complete(QUESTION)
    finally:
        await client.close()
