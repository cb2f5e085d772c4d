"""`python -m bot ask`: the bot's answers on the command line, to check the FAQ before going live.

Read-only: the database is opened so that it refuses every write, no migration runs, the feed is not
polled, and no answer, cache entry or token count is stored. It reads what the bot has stored (status,
staff FAQ edits, cached answers); before the bot has run there is nothing to read, and it says so.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.core import models
from bot.core.answering import Answer, Answerer, NoStatus, Question, StatusProvider
from bot.core.conversations import ConversationStore
from bot.core.crypto import DeviceCipher
from bot.core.db import Database, safe_url, sqlite_path
from bot.core.errors import UserFacingError
from bot.core.llm import LLMClient
from bot.core.registry import DeviceRegistry
from bot.core.services import build_answerer, build_llm, load_knowledge
from bot.core.staff.faq import FaqStore
from bot.core.status.service import StatusService
from bot.core.status.snapshot import StatusSnapshots, stale_after

CLI_CUSTOMER = 0  # a fresh customer: no devices, no history (unless --as-customer names one)


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


@dataclass
class ReadOnlyAnswers:
    answerer: Answerer
    db: Database
    llm: LLMClient | None

    async def close(self) -> None:
        if self.llm is not None:
            await self.llm.close()
        await self.db.dispose()


async def _stored(settings: Settings, warn: TextIO) -> Database | None:
    """The bot's database, opened read-only; None (after saying why) when it holds nothing to read yet."""
    where = safe_url(settings.database_url)
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_file():
        print(f"No status is stored yet: there is no database at {where} (the bot creates it when it first "
              "runs). Answering from the knowledge files only.", file=warn)
        return None
    db = Database(settings.database_url, read_only=True)
    try:
        current, head = await db.current_revision()
    except BaseException:
        await db.dispose()
        raise
    if current == head:
        return db
    await db.dispose()
    if current is None:
        print(f"No status is stored yet: the database at {where} has no tables (the bot creates them when it "
              "first runs). Answering from the knowledge files only.", file=warn)
    else:
        print(f"The database at {where} has schema {current}; this version reads {head}. Run "
              "`python -m bot db upgrade` to read what it stores. Answering from the knowledge files only.",
              file=warn)
    return None


async def _empty_stand_in() -> Database:
    """An empty database in memory, for a bot that has not run yet: no cache, no devices, no status."""
    db = Database("sqlite+aiosqlite://")
    async with db.engine.begin() as conn:
        await conn.run_sync(models.SQLModel.metadata.create_all)
    return db


async def open_read_only(settings: Settings, device_key: str, *, warn: TextIO | None = None) -> ReadOnlyAnswers:
    """The answerer as the bot builds it, over what the bot has stored, unable to change any of it.

    What is missing (no database yet, no status yet) is said on `warn` (standard error)."""
    warn = warn or sys.stderr
    prompts, knowledge = load_knowledge(settings)
    db = await _stored(settings, warn)
    stored = db is not None
    if db is None:
        db = await _empty_stand_in()
    llm = build_llm(settings)
    try:
        conversations = ConversationStore(db)
        status: StatusProvider = NoStatus()
        cipher = DeviceCipher(device_key)
        device_status = None
        if stored:
            # the customer's own devices and their restore states, read as the bot reads them
            device_status = StatusService(db, cipher, fetcher=None).device_status
            await FaqStore(db, knowledge, conversations).load()
            feed_age = stale_after(settings.status_poll_seconds) if settings.status_feed_url else None
            status = StatusSnapshots(db, stale_after=feed_age)
            if await status.snapshot() is None:
                print("No status is stored yet: the bot stores it when it polls the feed. Answering without it.",
                      file=warn)
        answerer = build_answerer(
            settings,
            prompts=prompts,
            knowledge=knowledge,
            conversations=conversations,
            registry=DeviceRegistry(db, cipher, serial_pattern=settings.device_serial_pattern),
            status=status,
            llm=llm,
            read_only=True,  # the same rules as a channel (the rate limit included), and nothing is written
            device_status=device_status,
        )
    except BaseException:
        if llm is not None:
            await llm.close()
        await db.dispose()
        raise
    return ReadOnlyAnswers(answerer, db, llm)


async def _answer(answers: ReadOnlyAnswers, question: str, customer: int = CLI_CUSTOMER) -> Answer:
    return await answers.answerer.answer(Question(customer_id=customer, text=question, channel_id=0, kind="cli"))


async def run_ask(
    settings: Settings, question: str | None, jsonl: Path | None, out: Path | None, customer: int | None = None
) -> int:
    """Answer as a channel would. `customer`: the Discord user id to answer as (their devices and history);
    None: a fresh customer (with --jsonl, a fresh one per line unless the line names one)."""
    key = settings.device_id_key.get_secret_value() if settings.device_id_key else "cli-preview-key-not-for-storage"
    answers = await open_read_only(settings, key)
    try:
        if question is not None:
            print(render(await _answer(answers, question, CLI_CUSTOMER if customer is None else customer)))
            return 0
        assert jsonl is not None
        try:
            source = jsonl.open(encoding="utf-8")
        except OSError as exc:
            raise UserFacingError(f"Cannot read {jsonl} ({exc.strerror}).") from None
        with source:
            if out is None:
                return await _jsonl(answers, source, sys.stdout, customer)
            with out.open("w", encoding="utf-8") as sink:
                return await _jsonl(answers, source, sink, customer)
    finally:
        await answers.close()


async def _jsonl(answers: ReadOnlyAnswers, source: TextIO, sink: TextIO, customer: int | None) -> int:
    bad = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            q = item["q"] if isinstance(item, dict) else None
            who = item.get("customer", customer) if isinstance(item, dict) else customer
            if not isinstance(q, str) or not (who is None or isinstance(who, int)):
                raise ValueError
        except (ValueError, KeyError):
            print(f"line {number}: expected a JSON object like {{\"q\": \"question\"}} (and an optional integer "
                  "\"customer\"); skipped", file=sys.stderr)
            bad += 1
            continue
        answer = await _answer(answers, q, -number if who is None else who)  # a fresh customer per line
        record = {
            "q": q, "answer": answer.text, "source": answer.source, "intent": answer.intent,
            "escalated": answer.escalate is not None,
        }
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 1 if bad else 0
