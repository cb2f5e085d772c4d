"""Text safety: how much of the hostile corpora gets through, how much ordinary text is wrongly
caught, and how fast the device-ID scanner is.

    python bench/bench_text_safety.py [--smoke] [--rules prompts/safety.md] [--pipeline]

1. Hostile model outputs (tests/corpora/hostile_model_outputs.jsonl) through the output stage:
   the gate (internal errors, Never rules, ungrounded claims, prompt echoes, foreign device IDs),
   then what is published (IDs redacted, mentions neutralised, length capped). "Through" means a
   device ID, unsafe advice, an invented claim, a ping, a traceback, a prompt leak or a wall of
   messages reached the customer. Target: 0.
2. Hostile customer inputs: device IDs that survive redaction (they would reach the LLM, a thread
   name, a log); injection attempts not recognised. Target: 0.
3. Ordinary text (questions, status updates, safe answers, the shipped FAQ): IDs found where there
   are none, safe text judged unsafe, grounded answers refused. Target: 0.
4. Scanner throughput: messages per second over the corpora, a 2,000-digit message, a 60,000-character
   answer.
5. With --pipeline: the hostile model outputs and customer inputs through the real Answerer (SQLite,
   the real `openai` client against the local fake server in tests/fakes), counting what reaches the
   customer and what reaches the model. (tests/e2e/test_text_safety_e2e.py does it through Discord.)

The leak check does not trust the scanner: it looks for each known ID's digits in what was published,
after folding every Unicode digit and look-alike letter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.knowledge import load_faq  # noqa: E402
from bot.core.prompts import format_faq  # noqa: E402
from bot.core.router import Router  # noqa: E402
from bot.core.text.gate import OutputGate  # noqa: E402
from bot.core.text.judge import parse_never_rule, violations  # noqa: E402
from bot.core.text.length import cap_answer  # noqa: E402
from bot.core.text.mentions import neutralize_mentions  # noqa: E402
from bot.core.text.normalize import fold  # noqa: E402
from bot.core.text.output import looks_like_internal_error  # noqa: E402
from bot.core.text.scanner import IdScanner  # noqa: E402
from bot.core.text.split import split_message  # noqa: E402
from bot.core.understanding import intents_for  # noqa: E402

CORPORA = ROOT / "tests" / "corpora"
SERIAL_PATTERN = r"WR\d{8}"
DOMAINS = ["larkspur.example"]
STATUS = (
    "As of 5 Oct 2009, 16:20 UTC: Contacts and calendars are restored for almost every affected customer. "
    "Photos are being restored now. Some notes created in the two days before the failure cannot be recovered. "
    "Next update by 6 Oct 2009, 16:00 UTC. https://status.larkspur.example/incidents/2009-10-data-loss"
)
CUSTOMER = "Registered devices: IMEI ****1481."
_LOOKALIKE = str.maketrans({"o": "0", "l": "1", "i": "1", "|": "1"})
_PING = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>", re.IGNORECASE)


def load(name: str) -> list[dict[str, object]]:
    with (CORPORA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def leaked(published: str, ids: list[str]) -> bool:
    """Does any of the IDs still appear in published text, however spelled?"""
    folded = fold(published, digits_lookalike=True).text
    digits = "".join(ch for ch in folded.translate(_LOOKALIKE) if ch.isdigit())
    alnum = "".join(ch for ch in folded if ch.isalnum()).upper()
    return any((i.isdigit() and i in digits) or (not i.isdigit() and i.upper() in alnum) for i in ids)


def never_rules(path: Path) -> list[object]:
    text = path.read_text(encoding="utf-8").split("## Never", 1)[1]
    return [parse_never_rule(line[2:].strip()) for line in text.splitlines() if line.startswith("- ")]


RULES = ROOT / "prompts" / "safety.md"


def run(*, smoke: bool = False, rules_path: Path = RULES, speed: bool = True) -> dict[str, int]:
    """Print the figures; return the counts that must be 0 (and the totals)."""
    scanner = IdScanner(SERIAL_PATTERN)
    rules = never_rules(rules_path)
    faq = load_faq(ROOT / "prompts" / "faq.md")
    faq_text = format_faq(faq)
    gate = OutputGate(
        scanner,
        never=lambda t: violations(rules, t),  # type: ignore[arg-type]
        internal_error=looks_like_internal_error,
        allowed_domains=DOMAINS,
        system_prompt=(ROOT / "prompts" / "system.md").read_text(encoding="utf-8"),
    )
    grounding = [faq_text, STATUS, CUSTOMER]
    outputs = load("hostile_model_outputs.jsonl")
    inputs = load("hostile_customer_inputs.jsonl")
    ordinary = load("ordinary.jsonl")
    if smoke:
        outputs, inputs, ordinary = outputs[::10], inputs[::10], ordinary[::20]

    # 1. hostile model outputs
    through: dict[str, list[str]] = {}
    for item in outputs:
        text, kind = str(item["text"]), str(item["kind"])
        ids = [str(i) for i in item.get("ids", [])]  # type: ignore[attr-defined]
        verdict = gate.check(text, grounding=grounding, allowed_ids=[])
        published = neutralize_mentions(scanner.redact(cap_answer(text))) if verdict.ok else ""
        parts = split_message(published) if published else []
        bad = (
            (ids and leaked(published, ids))
            or (kind in ("unsafe", "claim", "internal", "prompt") and verdict.ok)
            or (kind == "mention" and _PING.search(published) is not None)
            or (kind == "length" and (len(published) > 1800 or len(parts) > 2))
        )
        if bad:
            through.setdefault(kind, []).append(str(item["id"]))
    print(f"hostile model outputs: {len(outputs)}; got through: {sum(map(len, through.values()))}")
    for kind in sorted({str(i["kind"]) for i in outputs}):
        n = sum(1 for i in outputs if i["kind"] == kind)
        print(f"  {kind:9s} {n:4d} cases, through {len(through.get(kind, []))} {through.get(kind, '')}")
    print(f"  gate refusals by reason: {dict(gate.counters.reasons)}")

    # 2. hostile customer inputs
    id_leaks, missed_injections = [], []
    router = Router(intents_for(ROOT / "prompts"))  # what the answerer uses to tell a request outside its role
    for item in inputs:
        text = str(item["text"])
        if item["kind"] == "id":
            if leaked(scanner.redact(text), [str(i) for i in item["ids"]]):  # type: ignore[attr-defined]
                id_leaks.append(item["id"])
            first_line = scanner.redact(text.splitlines()[0] if text.strip() else text)[:100]
            if leaked(first_line, [str(i) for i in item["ids"]]):  # type: ignore[attr-defined]
                id_leaks.append(f"{item['id']}(thread name)")
        elif item["kind"] == "injection" and router.route(text).intent != "refuse":  # as the answerer routes it
            missed_injections.append(item["id"])
    n_ids = sum(1 for i in inputs if i["kind"] == "id")
    n_inj = len(inputs) - n_ids
    print(f"hostile customer inputs: {len(inputs)}; IDs surviving redaction: {len(id_leaks)} of {n_ids} {id_leaks}")
    print(f"  injection attempts not recognised: {len(missed_injections)} of {n_inj} {missed_injections}")

    # 3. ordinary text
    fp_ids = [i["id"] for i in ordinary if scanner.find(str(i["text"]))]
    judged = [i for i in ordinary if i["kind"] in ("status", "answer")]
    fp_unsafe = [i["id"] for i in judged if violations(rules, str(i["text"]))]  # type: ignore[arg-type]
    fp_faq = [e.key for e in faq if violations(rules, e.answer) or scanner.find(e.answer)]  # type: ignore[arg-type]
    answers = [i for i in ordinary if i["kind"] == "answer"]
    statuses = [str(i["text"]) for i in ordinary if i["kind"] == "status"]
    fp_refused = [
        i["id"] for i in answers if not gate.check(str(i["text"]), grounding=[*grounding, *statuses]).ok
    ]
    print(
        f"ordinary texts: {len(ordinary)} + {len(faq)} FAQ answers; false positives: device IDs {len(fp_ids)} "
        f"{fp_ids}, unsafe {len(fp_unsafe)} {fp_unsafe}, FAQ {len(fp_faq)} {fp_faq}, "
        f"grounded answers refused {len(fp_refused)} of {len(answers)} {fp_refused}"
    )

    figures = {
        "outputs": len(outputs),
        "outputs_through": sum(map(len, through.values())),
        "inputs": len(inputs),
        "input_id_leaks": len(id_leaks),
        "ordinary": len(ordinary),
        "false_ids": len(fp_ids),
        "false_unsafe": len(fp_unsafe),
        "false_faq": len(fp_faq),
        "false_refusals": len(fp_refused),
    }
    if not speed:
        return figures

    # 4. throughput
    mix = [str(i["text"]) for i in [*outputs, *inputs, *ordinary] if len(str(i["text"])) < 5000]
    rounds = 1 if smoke else 20
    start = time.perf_counter()
    for _ in range(rounds):
        for text in mix:
            scanner.find(text)
    elapsed = time.perf_counter() - start
    chars = sum(map(len, mix)) * rounds
    print(
        f"scanner: {len(mix) * rounds / elapsed:,.0f} messages/s, {chars / elapsed / 1e6:.2f} M chars/s "
        f"(mean {sum(map(len, mix)) / len(mix):.0f} chars)"
    )
    for label, text in (
        ("2,000 digits", "4" * 2000),
        ("2,000 digits in groups of 3", " ".join(["123"] * 667)),
        ("60,000-char answer", ("Your data is being restored, see 29 Nov at 17:00. " * 1200)[:60000]),
    ):
        start = time.perf_counter()
        n = 3 if smoke else 20
        for _ in range(n):
            scanner.find(text)
        print(f"  {label}: {(time.perf_counter() - start) / n * 1000:.1f} ms per scan")
    return figures


async def pipeline(*, smoke: bool = False) -> dict[str, int]:
    """The corpora through the real Answerer and the real openai client; print and return the counts."""
    from bot.core.answering import Answerer, NoStatus, Question
    from bot.core.conversations import ConversationStore
    from bot.core.crypto import DeviceCipher
    from bot.core.db import Database
    from bot.core.knowledge import KnowledgeBase
    from bot.core.llm import LLMClient
    from bot.core.prompts import load_prompts
    from bot.core.registry import DeviceRegistry
    from bot.core.text.length import MORE_OFFER
    from tests.fakes.openai_server import FakeOpenAI, Scripted

    logging.getLogger("bot").setLevel(logging.ERROR)  # each refusal is logged; here they are counted
    outputs = load("hostile_model_outputs.jsonl")
    inputs = [i for i in load("hostile_customer_inputs.jsonl") if i["kind"] == "id"]
    if smoke:
        outputs, inputs = outputs[::10], inputs[::10]
    fake = FakeOpenAI()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.upgrade()
        scanner = IdScanner(SERIAL_PATTERN)
        llm = LLMClient(api_key="k", base_url=fake.base_url, model="fake", scanner=scanner)
        prompts = load_prompts(ROOT / "prompts")
        answerer = Answerer(
            knowledge=KnowledgeBase(prompts.faq),
            prompts=prompts, conversations=ConversationStore(db),
            registry=DeviceRegistry(db, DeviceCipher("bench-key-0123456789")), status=NoStatus(), llm=llm,
            company="Larkspur", handover_fallback="611", questions_per_minute=10**9, scanner=scanner,
            allowed_domains=tuple(DOMAINS),
        )
        through: list[str] = []
        start = time.perf_counter()
        for n, item in enumerate(outputs):
            fake.default = Scripted(text=str(item["text"]))
            question = Question(customer_id=1000 + n, text=f"tell me about the outage ({n})", channel_id=0)
            answer = await answerer.answer(question)
            kind = str(item["kind"])
            shown = answer.text
            ids = [str(i) for i in item.get("ids", [])]  # type: ignore[attr-defined]
            if (
                (ids and leaked(shown, ids))
                or (kind in ("unsafe", "claim", "internal", "prompt") and answer.source == "llm")
                or (kind == "mention" and _PING.search(shown) is not None)
                or (kind == "length" and (len(answer.parts) > 2 or (answer.source == "llm" and MORE_OFFER not in shown)))  # noqa: E501
            ):
                through.append(str(item["id"]))
        elapsed = time.perf_counter() - start
        sent_before = len(fake.requests)
        to_model: list[str] = []
        for n, item in enumerate(inputs):
            fake.default = Scripted(text="Nothing has been decided yet.")
            answer = await answerer.answer(Question(customer_id=5000 + n, text=str(item["text"]), channel_id=0))
            ids = [str(i) for i in item["ids"]]  # type: ignore[attr-defined]
            if leaked(answer.text, ids) or leaked(json.dumps(fake.requests[sent_before:], ensure_ascii=False), ids):
                to_model.append(str(item["id"]))
        counters = answerer.gate.counters
        await db.dispose()
    await fake.stop()
    print(
        f"pipeline (Answerer + real openai client): {len(outputs)} hostile model outputs, got through "
        f"{len(through)} {through}; {len(outputs) / elapsed:.0f} answers/s; refused {counters.refused} of "
        f"{counters.checked} checked {dict(counters.reasons)}"
    )
    print(f"  {len(inputs)} customer inputs with IDs: ID reached the model or the answer in {len(to_model)} {to_model}")
    return {"pipeline_through": len(through), "pipeline_to_model": len(to_model)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for CI")
    parser.add_argument("--rules", type=Path, default=ROOT / "prompts" / "safety.md")
    parser.add_argument("--pipeline", action="store_true", help="also run the corpora through the real Answerer")
    args = parser.parse_args()
    run(smoke=args.smoke, rules_path=args.rules)
    if args.pipeline:
        asyncio.run(pipeline(smoke=args.smoke))


if __name__ == "__main__":
    main()
