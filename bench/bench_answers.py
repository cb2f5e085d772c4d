"""Answering: offline answers per second over a 200-entry FAQ, and the share of an incident day's
questions that need an LLM call.

    python bench/bench_answers.py [--answers 3000] [--stream 2000] [--seed 3]

1. Offline answers go through the whole Answerer pipeline (redaction, rate limit, retrieval, safety
   checks, splitting), over a 200-entry FAQ (the shipped one plus generated entries), both without
   and with the database record each real answer writes (SQLite, synchronous=FULL).
2. The replayed stream: 2,000 questions from 1,000 customers, most of them rephrasings of a few dozen
   (casing, punctuation, greetings, typos, synonyms, word order), some unique. The LLM is the real
   `openai` client against a local OpenAI-compatible server that counts calls.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import parse_with_smoke, summary  # noqa: E402
from bench.bench_retrieval import SITUATIONS, SUBJECTS  # noqa: E402
from bot.core.answering import Answerer, Question  # noqa: E402
from bot.core.conversations import ConversationStore  # noqa: E402
from bot.core.crypto import DeviceCipher  # noqa: E402
from bot.core.db import Database  # noqa: E402
from bot.core.feeds.detect import parse_feed  # noqa: E402
from bot.core.knowledge import KnowledgeBase, make_entry  # noqa: E402
from bot.core.llm import LLMClient  # noqa: E402
from bot.core.prompts import load_prompts  # noqa: E402
from bot.core.registry import DeviceRegistry  # noqa: E402
from bot.core.status.service import StatusService  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, Scripted  # noqa: E402

GREETINGS = ["", "hi, ", "hello! ", "hey there, ", "quick question: ", "please help, ", "URGENT: "]
ENDINGS = ["", "?", "??", " please", " thanks", "!!!", " asap"]
SYNONYMS = {
    "phone": ["phone", "device", "handset", "wren"],
    "photos": ["photos", "pictures", "pics"],
    "contacts": ["contacts", "address book"],
    "fixed": ["fixed", "working again", "back up"],
}
TYPO = {
    "battery": "baterry",
    "calendar": "calender",
    "contacts": "contcts",
    "restore": "restroe",
    "register": "regster",
    "private": "privite",
}
BASE_QUESTIONS = [
    "what happened",
    "is my data lost",
    "should I reset my phone",
    "can I take the battery out",
    "my battery is low what do I do",
    "when will it be fixed",
    "how do I find my IMEI",
    "how do I register my device",
    "how will I know when my data is restored",
    "is my data private",
    "will I get compensation",
    "can I back up my phone now",
    "what about photos I take now",
    "can I log in to my account",
    "I got a new phone what now",
    "will I lose my text messages",
    "can I still make calls",
    "my calendar is missing",
    "is there a way to report a problem",
    "are my contacts gone",
    "should I restore my phone to factory settings",
    "can I turn my phone off",
    "are my photos deleted",
    "when will my contacts come back",
    "is the outage over",
    "how long will this take",
    "do I need to do anything",
    "can I use my phone normally",
    "will my notes come back",
    "is it safe to charge my phone",
]


def rephrase(rng: random.Random, q: str) -> str:
    words = q.split()
    out = []
    for w in words:
        low = w.lower()
        if low in SYNONYMS and rng.random() < 0.5:
            w = rng.choice(SYNONYMS[low])
        if low in TYPO and rng.random() < 0.2:
            w = TYPO[low]
        out.append(w)
    text = " ".join(out)
    if rng.random() < 0.3:
        text = text.upper() if rng.random() < 0.3 else text.capitalize()
    return rng.choice(GREETINGS) + text + rng.choice(ENDINGS)


def make_stream(rng: random.Random, n: int) -> list[tuple[int, str]]:
    stream = []
    for i in range(n):
        customer = rng.randrange(1, 1001)
        if rng.random() < 0.08:  # a genuinely new question
            q = f"does the outage affect my {rng.choice(SUBJECTS)} in {rng.choice(['Canada', 'Texas', 'Ohio'])} #{i}"
        else:
            q = rephrase(rng, rng.choice(BASE_QUESTIONS))
        stream.append((customer, q))
    return stream


async def build(db: Database, llm: LLMClient | None, extra_entries: int) -> Answerer:
    prompts = load_prompts(ROOT / "prompts")
    extra = [
        make_entry(question.format(s=subject), answer.format(s=subject), [subject], source="staff")
        for question, answer in SITUATIONS
        for subject in SUBJECTS
    ][:extra_entries]
    kb = KnowledgeBase([*prompts.faq, *extra])  # built once: KnowledgeBase.add re-indexes on every call
    assert len(kb) >= 200 or extra_entries < 180
    # the sample incident's status, ingested as the bot ingests it: status questions are answered from it
    cipher = DeviceCipher("bench-key-0123456789")
    status = StatusService(db, cipher, fetcher=None)
    feed = (ROOT / "prompts" / "sample-status" / "recovery.json").read_bytes()
    await status.ingest(parse_feed(feed, now=datetime(2100, 1, 1, tzinfo=UTC)))
    answerer = Answerer(
        knowledge=kb,
        prompts=prompts,
        conversations=ConversationStore(db),
        registry=DeviceRegistry(db, cipher),
        status=status,
        device_status=status.device_status,
        llm=llm,
        company="Larkspur",
        handover_fallback="611",
        questions_per_minute=10**9,
    )
    return answerer


async def offline_rate(
    n: int, rng: random.Random, record: bool, concurrency: int = 1
) -> tuple[float, list[float], int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/a.db")
        await db.upgrade()
        answerer = await build(db, None, 200 - 20)
        stream = make_stream(rng, n)
        lat: list[float] = []

        async def worker(k: int) -> None:
            for customer, q in stream[k::concurrency]:
                t = time.perf_counter()
                await answerer.answer(Question(customer, q, 0, "cli"), record=record)
                lat.append((time.perf_counter() - t) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - start
        await answerer.conversations.flush()
        size = len(answerer.knowledge)
        await db.dispose()
    return n / elapsed, lat, size


async def llm_share(n: int, rng: random.Random) -> tuple[int, int, dict[str, int]]:
    server = FakeOpenAI(default=Scripted(text="Here is what we know so far; please keep your phone on."))
    await server.start()
    llm = LLMClient(api_key="k", model="fake", base_url=server.base_url, timeout=5, max_retries=0)
    sources: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite+aiosqlite:///{tmp}/s.db")
            await db.upgrade()
            answerer = await build(db, llm, 0)
            for customer, q in make_stream(rng, n):
                a = await answerer.answer(Question(customer, q, 0, "cli"), record=False)
                sources[a.source] = sources.get(a.source, 0) + 1
            await answerer.conversations.flush()
            await db.dispose()
    finally:
        await llm.close()
        await server.stop()
    return len(server.requests), n, sources


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=3000)
    ap.add_argument("--stream", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=3)
    args = parse_with_smoke(ap, answers=30, stream=40)
    for record, concurrency in ((False, 1), (True, 1), (True, 16)):
        rate, lat, size = await offline_rate(args.answers, random.Random(args.seed), record, concurrency)
        what = "with the database record" if record else "pipeline only"
        print(
            f"offline answers over a {size}-entry FAQ, {what}, {concurrency} at a time: {rate:,.0f}/s; {summary(lat)}"
        )
    calls, n, sources = await llm_share(args.stream, random.Random(args.seed))
    print(
        f"replayed stream of {n:,} questions: {calls} LLM calls = {calls / n:.1%} (target < 30%); by source {sources}"
    )


if __name__ == "__main__":
    asyncio.run(main())
