"""The LLM adapter: owns the client, model, timeout and retries, and turns every failure into LLMError."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from bot.core.text.scanner import IdScanner

log = logging.getLogger(__name__)

HANDOVER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "hand_over_to_staff",
        "description": (
            "Bring a member of the support staff into the conversation: when the customer asks for a "
            "person, is very upset, or the FAQ and status cannot answer the question."
        ),
        "parameters": {
            "type": "object",
            "properties": {"reason": {"type": "string", "description": "one short sentence for staff"}},
            "required": ["reason"],
        },
    },
}


class LLMError(Exception):
    """The LLM could not give a usable answer; the caller answers offline instead."""


@dataclass(frozen=True, slots=True)
class LLMReply:
    text: str
    handover_reason: str | None
    tokens: int


class LLMClient:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        max_tokens: int = 400,
        scanner: IdScanner | None = None,
        observe: Callable[[float, str | None], None] | None = None,
    ) -> None:
        self.model = model
        self.scanner = scanner or IdScanner()
        self.observe = observe  # (seconds, error or None) of each answer, for metrics
        self.max_tokens = max_tokens
        # `timeout` is the budget of a whole answer, retries and their back-off included (LLM_TIMEOUT_SECONDS).
        # The client's own per-attempt timeout is set just past it, so the budget is what ends a slow attempt:
        # retries are then only for quick failures (a 5xx, a refused connection), while time remains.
        self.budget = timeout
        self.failing = 0  # failed calls in a row
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout + 1.0, max_retries=max_retries
        )

    async def complete(self, messages: list[dict[str, str]]) -> LLMReply:
        # the last line of defence on the way out: no device ID ever reaches the model's provider
        messages = [{**m, "content": self.scanner.redact(m["content"])} for m in messages]
        started = time.monotonic()
        try:
            reply = await self._complete(messages)
        except LLMError as exc:
            if self.observe is not None:
                self.observe(time.monotonic() - started, str(exc))
            raise
        if self.observe is not None:
            self.observe(time.monotonic() - started, None)
        return reply

    async def _complete(self, messages: list[dict[str, str]]) -> LLMReply:
        try:
            async with asyncio.timeout(self.budget):
                resp = await self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    tools=[HANDOVER_TOOL],  # type: ignore[list-item]
                    temperature=0.2,
                    max_tokens=self.max_tokens,
                )
        except TimeoutError as exc:
            self._failed(f"LLM gave no answer within {self.budget:.1f} s (retries included)")
            raise LLMError("timeout") from exc
        except openai.APIError as exc:  # timeouts, connection errors and HTTP errors all derive from it
            self._failed(f"LLM call failed: {type(exc).__name__}")
            raise LLMError(type(exc).__name__) from exc
        except (ValueError, TypeError) as exc:  # a malformed response body
            self._failed(f"LLM response could not be read: {type(exc).__name__}")
            raise LLMError("malformed response") from exc
        try:
            reply = _read_reply(resp)
        except (AttributeError, IndexError, KeyError, TypeError) as exc:  # a body of the wrong shape
            self._failed(f"LLM response has an unexpected shape: {type(exc).__name__}")
            raise LLMError("malformed response") from exc
        if reply.handover_reason is not None:
            reply = LLMReply(reply.text, self.scanner.redact(reply.handover_reason), reply.tokens)
        if self.failing:
            log.info("the LLM answers again, after %d failed calls", self.failing)
            self.failing = 0
        return reply

    def _failed(self, why: str) -> None:
        """Log a failed call: a WARNING for the first of a run (an outage of the provider), INFO for the rest,
        which are counted in /metrics anyway (supportbot_llm_errors_total)."""
        self.failing += 1
        if self.failing == 1:
            log.warning("%s; answering offline until it answers again", why)
        else:
            log.info("%s (%d in a row)", why, self.failing)

    async def close(self) -> None:
        await self._client.close()


def _read_reply(resp: Any) -> LLMReply:
    """The text, hand-over request and tokens of a completion; LLMError when there is nothing usable."""
    if not resp.choices:
        raise LLMError("no choices in the response")
    message = resp.choices[0].message
    if message is None:
        raise LLMError("no message in the response")
    reason = None
    for call in message.tool_calls or []:
        fn = getattr(call, "function", None)
        if fn is not None and fn.name == HANDOVER_TOOL["function"]["name"]:
            try:
                reason = str(json.loads(fn.arguments or "{}").get("reason") or "requested by the assistant")
            except (ValueError, AttributeError):
                reason = "requested by the assistant"
    text = (message.content or "").strip()
    if not text and reason is None:
        raise LLMError("empty answer")
    tokens = resp.usage.total_tokens if resp.usage else 0
    return LLMReply(text=text, handover_reason=reason, tokens=tokens)
