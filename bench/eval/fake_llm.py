"""A local OpenAI-compatible server that answers like a grounded model, for the LLM path of the eval.

It reads the system prompt the bot sent and answers with the first FAQ answer in it (or says it does
not know). Every `plant_every`-th answer starts with a sentence contradicting the live status ("your
photos have been restored" while they are not): the bot's checks must catch it, or the eval counts
the answer as unsafe.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.fakes.openai_server import FakeOpenAI, Scripted

_FAQ_ANSWER = re.compile(r"^A: (.+)$", re.MULTILINE)
_PROGRESS = re.compile(r"\b([a-z][a-z ]{2,30}?) (?:not started yet|being restored \(\d+%\)|partly restored \(\d+%\))")


class GroundedFake(FakeOpenAI):
    plant_every: int = 4
    planted: int = 0

    def respond(self, body: dict[str, Any]) -> Scripted:
        system = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"), "")
        answers = _FAQ_ANSWER.findall(system)
        text = answers[0] if answers else "I don't know that yet. A member of staff can help: use /human."
        if self.plant_every and len(self.requests) % self.plant_every == 0:
            unfinished = _PROGRESS.search(system.split("FAQ:")[0])
            if unfinished:
                self.planted += 1
                text = f"Good news: your {unfinished.group(1).strip()} have been restored. " + text
        return Scripted(text=text, tokens=200)

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()  # aiohttp keeps the body: the base class reads it again
        self.queue(self.respond(body))
        return await super()._chat(request)
