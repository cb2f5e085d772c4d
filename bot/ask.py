"""`python -m bot ask`: the bot's answers on the command line, to check the FAQ before going live."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.core.answering import Answer, Question
from bot.core.errors import UserFacingError
from bot.core.services import Services, build_services

CLI_CUSTOMER = 0  # nobody: no devices, no history


def render(answer: Answer) -> str:
    """The answer as the customer would see it: each Discord message, then its buttons."""
    blocks = list(answer.parts)
    buttons = []
    if answer.answer_id is not None or answer.source in ("llm", "offline", "cache"):
        buttons = ["Helpful", "Not helpful"]
    if answer.offer_human:
        buttons.append("Talk to a person")
    text = "\n\n---\n\n".join(blocks)
    if buttons:
        text += "\n\n" + "  ".join(f"[{b}]" for b in buttons)
    if answer.escalate:
        text += f"\n\n(The bot would now hand the customer over to staff: {answer.escalate}.)"
    return text


async def _answer(services: Services, question: str) -> Answer:
    return await services.answerer.answer(
        Question(customer_id=CLI_CUSTOMER, text=question, channel_id=0, kind="cli"), record=False
    )


async def run_ask(settings: Settings, question: str | None, jsonl: Path | None, out: Path | None) -> int:
    key = settings.device_id_key.get_secret_value() if settings.device_id_key else "cli-preview-key-not-for-storage"
    services = await build_services(settings, device_key=key)
    # unlimited: a list of questions is not a customer typing too fast
    services.answerer.limiter.per_minute = 10**9
    try:
        await services.status.first_fetch_if_empty()
        if question is not None:
            print(render(await _answer(services, question)))
            return 0
        assert jsonl is not None
        try:
            source = jsonl.open(encoding="utf-8")
        except OSError as exc:
            raise UserFacingError(f"Cannot read {jsonl} ({exc.strerror}).") from None
        with source:
            if out is None:
                return await _jsonl(services, source, sys.stdout)
            with out.open("w", encoding="utf-8") as sink:
                return await _jsonl(services, source, sink)
    finally:
        await services.close()


async def _jsonl(services: Services, source: TextIO, sink: TextIO) -> int:
    bad = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            q = item["q"] if isinstance(item, dict) else None
            if not isinstance(q, str):
                raise ValueError
        except (ValueError, KeyError):
            print(f"line {number}: expected a JSON object like {{\"q\": \"question\"}}; skipped", file=sys.stderr)
            bad += 1
            continue
        answer = await _answer(services, q)
        record = {"q": q, "answer": answer.text, "source": answer.source, "escalated": answer.escalate is not None}
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 1 if bad else 0
