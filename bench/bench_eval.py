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
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval import EvalSet, Item, all_sets, load_set  # noqa: E402
from bench.eval.judge import Tally, judge  # noqa: E402
from bot.core.compose import Progress, StatusFacts  # noqa: E402
from bot.core.feeds.detect import parse_feed  # noqa: E402
from bot.core.feeds.models import FeedSnapshot  # noqa: E402
from bot.core.knowledge import KnowledgeBase  # noqa: E402
from bot.core.prompts import load_prompts  # noqa: E402
from bot.core.semantic import Embedder, HybridRetriever, load_embedder  # noqa: E402
from bot.core.text.scanner import DEVICE_ID_REMOVED, redact_device_ids  # noqa: E402
from bot.core.understanding import Understanding, intents_for  # noqa: E402

COMPANY = {"larkspur": "Larkspur Cloud", "quillpad": "Inkwell Sync", "hearthlink": "Hearthlink Cloud"}
OWN_DEVICE = {"larkspur": "358912043290802", "quillpad": "352911043771205", "hearthlink": "352911041188022"}


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    source: str
    escalate: str | None
    offer_human: bool
    faq_keys: tuple[str, ...]
    intent: str


@dataclass(frozen=True, slots=True)
class Device:
    masked: str
    state: str
    progress: dict[str, Any]
    note: str | None


def read_feed(path: Path) -> FeedSnapshot:
    return parse_feed(path.read_bytes(), now=datetime(2100, 1, 1, tzinfo=UTC))


def facts_of(feed: FeedSnapshot) -> StatusFacts | None:
    open_incidents = [i for i in feed.incidents if i.updates]
    if not open_incidents:
        return None
    latest = open_incidents[0].updates[-1]
    return StatusFacts(
        title=latest.incident_title,
        state=latest.state,
        as_of=latest.published_at,
        body=latest.body,
        progress=tuple(Progress(k, p.state, p.percent) for k, p in latest.progress.items()),
        next_update_by=latest.next_update_by,
    )


def own_devices(feed: FeedSnapshot, device_id: str | None) -> list[Device]:
    return [
        Device("****" + d.device_id[-4:], d.state, {k: p.model_dump() for k, p in d.progress.items()}, d.note)
        for d in feed.device_states
        if d.device_id == device_id
    ]


class OfflinePath:
    """Router + hybrid retrieval + composition from data, as the offline answerer runs them."""

    def __init__(self, evalset: EvalSet, embedder: Embedder | None) -> None:
        self.kb = KnowledgeBase.from_files(evalset.faq)
        feed = read_feed(evalset.status)
        self.facts = facts_of(feed)
        self.devices = own_devices(feed, OWN_DEVICE.get(evalset.name))
        company = COMPANY.get(evalset.name, "our service")
        self.understanding = Understanding(self.kb, intents_for(ROOT / "prompts"), embedder, company)

    def answer(self, question: str) -> Reply:
        clean = redact_device_ids(question)
        route = self.understanding.route(clean, device_id_found=DEVICE_ID_REMOVED in clean, status=self.facts)
        draft = self.understanding.draft(route, self.facts, self.devices)
        text = draft.text + (f"\n\n{draft.status_line}" if draft.status_line else "")
        return Reply(text, draft.source, draft.escalate, draft.offer_human, draft.faq_keys, draft.intent)


def evaluate(evalset: EvalSet, items: list[Item], path: OfflinePath) -> Tally:
    safety = load_prompts(ROOT / "prompts").safety
    tally = Tally()
    for item in items:
        reply = path.answer(item.question)
        tally.add(item, reply, judge(item, reply, safety, has_devices=bool(path.devices)))
    return tally


def compare(evalset: EvalSet, embedder: Embedder | None) -> str:
    """Top-1 FAQ retrieval on the faq-labelled questions: lexical, semantic, hybrid."""
    from bot.core.router import normalize

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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", help="evaluation set name (default: all)")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong answers per set")
    parser.add_argument("--smoke", action="store_true", help="a few questions per set")
    parser.add_argument("--compare", action="store_true", help="lexical vs semantic vs hybrid retrieval")
    args = parser.parse_args()
    sets = [load_set(n) for n in args.set] if args.set else all_sets()
    embedder = load_embedder()
    overall = Tally()
    for evalset in sets:
        items = list(evalset.items[::25] if args.smoke else evalset.items)
        path = OfflinePath(evalset, embedder)
        tally = evaluate(evalset, items, path)
        print(tally.report(f"{evalset.name} offline", args.misses))
        if args.compare:
            print(compare(evalset, embedder))
        for k in ("per_kind", "right", "sources"):
            getattr(overall, k).update(getattr(tally, k))
        overall.unsafe += tally.unsafe
        overall.tp += tally.tp
        overall.fp += tally.fp
        overall.fn += tally.fn
        overall.false_refusals += tally.false_refusals
        overall.not_refuse += tally.not_refuse
    print(overall.report("all sets offline"))


if __name__ == "__main__":
    asyncio.run(main())
