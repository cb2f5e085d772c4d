"""Answer quality on the labelled evaluation sets (bench/eval): is each answer right, is any unsafe?

    python bench/bench_eval.py [--set larkspur] [--misses 20] [--smoke] [--no-llm] [--compare]

For each set (an FAQ, a status feed and labelled questions), prints for the offline path and for
the LLM path (the real `openai` client against a local OpenAI-compatible server):
accuracy per intent, hand-over precision and recall, the false-refusal rate, and any unsafe answer.
`--compare` also prints FAQ retrieval with the lexical score alone, the semantic score alone and
both. `--smoke` runs a few questions per set (CI).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval import EvalSet, Item, all_sets, load_set  # noqa: E402
from bench.eval.fake_llm import GroundedFake  # noqa: E402
from bench.eval.judge import Tally, judge  # noqa: E402
from bot.core.answering import Answer, Answerer, Question  # noqa: E402
from bot.core.conversations import ConversationStore  # noqa: E402
from bot.core.crypto import DeviceCipher  # noqa: E402
from bot.core.db import Database  # noqa: E402
from bot.core.feeds.detect import parse_feed  # noqa: E402
from bot.core.feeds.models import FeedSnapshot  # noqa: E402
from bot.core.knowledge import KnowledgeBase  # noqa: E402
from bot.core.llm import LLMClient  # noqa: E402
from bot.core.prompts import load_prompts  # noqa: E402
from bot.core.registry import DeviceRegistry  # noqa: E402
from bot.core.semantic import Embedder, HybridRetriever, load_embedder  # noqa: E402
from bot.core.status.service import StatusService  # noqa: E402

COMPANY = {
    "larkspur": "Larkspur Cloud",
    "quillpad": "Inkwell Sync",
    "hearthlink": "Hearthlink Cloud",
    "kestrel": "Kestrel Fit",
    "milepost": "Milepost Drive",
}
CUSTOMER = 1
OWN_DEVICE = {
    "larkspur": "358912043290802",
    "quillpad": "352911043771205",
    "hearthlink": "352911041188022",
    "kestrel": "354206110742132",
    "milepost": "358762095260181",
}


def read_feed(path: Path) -> FeedSnapshot:
    return parse_feed(path.read_bytes(), now=datetime(2100, 1, 1, tzinfo=UTC))


class AnswerPath:
    """The real Answerer (offline, or with an LLM) over a fresh SQLite database holding the set's status:
    the feed ingested as the bot ingests it, and customer 1 owning one device of the feed."""

    def __init__(self, evalset: EvalSet, llm: LLMClient | None = None) -> None:
        self.evalset = evalset
        self.llm = llm
        self._tmp = tempfile.TemporaryDirectory(prefix="bench_eval_")
        self.db = Database(f"sqlite+aiosqlite:///{self._tmp.name}/eval.db")
        self.has_devices = OWN_DEVICE.get(evalset.name) is not None

    async def start(self) -> AnswerPath:
        await self.db.upgrade()
        cipher = DeviceCipher("bench-eval-key-0123456789abcdef")
        self.status = StatusService(self.db, cipher, fetcher=None)
        await self.status.ingest(read_feed(self.evalset.status))
        registry = DeviceRegistry(self.db, cipher)
        own = OWN_DEVICE.get(self.evalset.name)
        if own:
            await registry.register(CUSTOMER, own)
        prompts = load_prompts(ROOT / "prompts")
        self.safety = prompts.safety
        knowledge = KnowledgeBase.from_files(self.evalset.faq)
        self.answerer = Answerer(
            knowledge=knowledge,
            prompts=prompts,
            conversations=ConversationStore(self.db),
            registry=registry,
            status=self.status,
            llm=self.llm,
            company=COMPANY.get(self.evalset.name, "our service"),
            handover_fallback="our phone line",
            questions_per_minute=10**9,
            device_status=self.status.device_status,
        )
        return self

    async def answer(self, question: str) -> Answer:
        return await self.answerer.answer(Question(CUSTOMER, question, 0, "cli"), record=False)

    async def close(self) -> None:
        await self.answerer.conversations.flush()
        await self.db.dispose()
        self._tmp.cleanup()


async def evaluate(items: list[Item], path: AnswerPath) -> Tally:
    tally = Tally()
    for item in items:
        path.answerer._misses.clear()  # each labelled question is judged on its own
        reply = await path.answer(item.question)
        tally.add(item, reply, judge(item, reply, path.safety, has_devices=path.has_devices))
    return tally


def compare(evalset: EvalSet, embedder: Embedder | None) -> str:
    """Top-1 FAQ retrieval on the faq-labelled questions: lexical, semantic, hybrid."""
    from bot.core.intent_phrases import normalize

    kb = KnowledgeBase.from_files(evalset.faq)
    hybrid = HybridRetriever(kb, embedder)
    lexical_only = HybridRetriever(kb, None)
    n = lex = sem = both = 0
    for item in evalset.items:
        keys = {lab.arg for lab in item.labels if lab.kind == "faq"}
        if not keys:
            continue
        n += 1
        q = normalize(item.question)
        top = lexical_only.search(q, 1)
        lex += bool(top and top[0].key in keys)
        hits = hybrid.search(q, 10)
        if hits:
            sem += max(hits, key=lambda h: h.semantic).key in keys
            both += hits[0].key in keys
    return f"  FAQ top-1 on {n} faq questions: lexical {lex}, semantic {sem}, hybrid {both}"


async def run_set(evalset: EvalSet, items: list[Item], llm: LLMClient | None) -> Tally:
    path = await AnswerPath(evalset, llm).start()
    try:
        return await evaluate(items, path)
    finally:
        await path.close()


def merge(into: Tally, tally: Tally) -> None:
    for k in ("per_kind", "right", "sources"):
        getattr(into, k).update(getattr(tally, k))
    into.unsafe += tally.unsafe
    into.misses += tally.misses
    into.tp += tally.tp
    into.fp += tally.fp
    into.fn += tally.fn
    into.false_refusals += tally.false_refusals
    into.not_refuse += tally.not_refuse


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", help="evaluation set name (default: all)")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong answers per set")
    parser.add_argument("--smoke", action="store_true", help="a few questions per set")
    parser.add_argument("--no-llm", action="store_true", help="the offline path only")
    parser.add_argument("--compare", action="store_true", help="lexical vs semantic vs hybrid retrieval")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    sets = [load_set(n) for n in args.set] if args.set else all_sets()
    paths = ["offline"] if args.no_llm else ["offline", "llm"]
    for which in paths:
        overall = Tally()
        server: GroundedFake | None = None
        llm = None
        if which == "llm":
            server = GroundedFake()
            await server.start()
            llm = LLMClient(api_key="k", model="fake-model", base_url=server.base_url, timeout=5, max_retries=0)
        try:
            for evalset in sets:
                items = list(evalset.items[::25] if args.smoke else evalset.items)
                tally = await run_set(evalset, items, llm)
                print(tally.report(f"{evalset.name} {which}", args.misses))
                if args.compare and which == "offline":
                    print(compare(evalset, load_embedder()))
                merge(overall, tally)
        finally:
            if llm is not None:
                await llm.close()
            if server is not None:
                await server.stop()
        extra = ""
        if server is not None:
            extra = f"; {len(server.requests)} LLM calls, {server.planted} with a planted contradiction"
        print(overall.report(f"all sets, {which} path") + extra)


if __name__ == "__main__":
    asyncio.run(main())
