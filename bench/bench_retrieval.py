"""FAQ retrieval speed: searches per second and latency over a synthetic 200-entry FAQ.

    python bench/bench_retrieval.py [--entries 200] [--queries 5000] [--seed 1]

The FAQ is generated from templates (subjects x situations) so that words repeat across
entries the way they do in a real FAQ; the queries are paraphrases with typos, unrelated
questions and empty/emoji input, searched with k=3 in a single thread.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import parse_with_smoke, summary
from bot.core.knowledge import CONFIDENT, KnowledgeBase, make_entry

SUBJECTS = [
    "contacts",
    "calendar",
    "photos",
    "notes",
    "text messages",
    "email",
    "bookmarks",
    "alarms",
    "voicemail",
    "music",
    "ringtones",
    "videos",
    "to-do list",
    "call history",
    "apps",
    "wallpaper",
    "address book",
    "appointments",
    "memos",
    "downloads",
]
SITUATIONS = [
    ("Are my {s} lost?", "Your {s} are most likely still on the phone. Keep it on and charged."),
    ("When will my {s} sync again?", "Syncing of {s} resumes when the servers are repaired; we post updates."),
    ("Can I back up my {s} now?", "Copy your {s} to a memory card without deleting them from the phone."),
    ("Why are some {s} missing after the outage?", "Missing {s} are usually still on the phone; do not reset it."),
    ("Can I edit my {s} during the outage?", "You can edit {s} on the phone; changes sync later."),
    ("Will my {s} come back after a restart?", "Please do not restart or reset the phone; {s} stay on it."),
    ("How do I move my {s} to a new phone?", "Keep the old phone on; moving {s} waits until the service is back."),
    ("Is anyone else able to see my {s}?", "Your {s} are private; staff never ask for them."),
    ("My {s} show a sync error, what does it mean?", "A sync error for {s} is expected during the outage."),
    ("Should I delete duplicate {s}?", "Please do not delete {s} now; duplicates are cleaned up later."),
]
TYPOS = {
    "contacts": "contcts",
    "calendar": "calender",
    "battery": "baterry",
    "photos": "fotos",
    "messages": "mesages",
    "appointments": "apointments",
    "restart": "restrat",
}
UNRELATED = [
    "what's the capital of France",
    "asdfgh",
    "🙂🙂🙂",
    "",
    "who won the game last night",
    "recommend a good pizza place",
    "how tall is mount everest",
]


def build_faq(n: int) -> KnowledgeBase:
    entries = []
    for i in range(n):
        subject = SUBJECTS[i % len(SUBJECTS)]
        question, answer = SITUATIONS[(i // len(SUBJECTS)) % len(SITUATIONS)]
        q = question.format(s=subject)
        if i >= len(SUBJECTS) * len(SITUATIONS):
            q = f"{q} (case {i})"
        entries.append(make_entry(q, answer.format(s=subject), [subject, "outage", "sync"], source="file"))
    return KnowledgeBase(entries)


def make_queries(kb: KnowledgeBase, count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.15:
            out.append(rng.choice(UNRELATED))
            continue
        words = rng.choice(kb.entries).question.rstrip("?").split()
        if roll < 0.5:
            words = [TYPOS.get(w, w) for w in words]
        rng.shuffle(words)
        out.append(" ".join(words[: rng.randint(2, len(words))]) + rng.choice(["", "?", "??", " pls"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parse_with_smoke(parser, entries=40, queries=100)
    rng = random.Random(args.seed)

    start = time.perf_counter()
    kb = build_faq(args.entries)
    build_ms = (time.perf_counter() - start) * 1000
    queries = make_queries(kb, args.queries, rng)

    print(f"FAQ entries: {len(kb)} (index build {build_ms:.1f} ms), queries: {len(queries)}")
    confident = 0
    for label, cold in (("cold (query-analysis cache cleared)", True), ("warm", False)):
        latencies: list[float] = []
        confident = 0
        start = time.perf_counter()
        for q in queries:
            if cold:
                kb._index._cache.clear()  # measure the full analysis + typo correction every time
            t0 = time.perf_counter()
            hits = kb.search(q, k=3)
            latencies.append((time.perf_counter() - t0) * 1000)
            confident += bool(hits and hits[0].confidence >= CONFIDENT)
        elapsed = time.perf_counter() - start
        print(f"{label}: {len(queries) / elapsed:,.0f} searches/s; {summary(latencies)}, max {max(latencies):.2f} ms")
    print(f"confident top hit: {confident / len(queries):.0%}")


if __name__ == "__main__":
    main()
