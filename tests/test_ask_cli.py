from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(ROOT), "KNOWLEDGE_DIR": str(ROOT / "prompts")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )


def test_ask_prints_the_answer_as_the_bot_gives_it(tmp_path: Path) -> None:
    r = run(["Should I reset my phone?"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "do not reset your phone" in r.stdout.lower()
    assert "[Helpful]  [Not helpful]" in r.stdout
    assert "Traceback" not in r.stderr


def test_ask_jsonl_checks_a_list_of_questions(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(json.dumps({"q": q}) for q in ["is my data lost?", "I want a real person", "best pizza in town?"])
        + "\n",
        encoding="utf-8",
    )
    r = run(["--jsonl", str(questions), "--out", str(tmp_path / "a.jsonl")], tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [sorted(row) for row in rows] == [["answer", "escalated", "intent", "q", "source"]] * 3
    assert [row["escalated"] for row in rows] == [False, True, False]
    assert "don't know" in rows[2]["answer"]
    assert {row["source"] for row in rows} == {"offline"}


def test_ask_never_polls_or_creates_a_database(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({
        "version": 1, "generated_at": "2026-11-28T12:00:00Z",
        "incidents": [{"id": "i", "title": "Sync outage", "state": "recovering", "impact": "major",
                       "created_at": "2026-11-28T08:00:00Z", "updated_at": "2026-11-28T11:00:00Z",
                       "updates": [{"id": "u", "state": "recovering", "body": "Contacts are coming back.",
                                    "published_at": "2026-11-28T11:00:00Z"}]}],
    }), encoding="utf-8")
    r = run(["when will it be fixed?"], tmp_path, STATUS_FEED_URL=str(feed),
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/data/bot.db")
    assert r.returncode == 0, r.stderr
    assert "No status is stored yet" in r.stderr and "Traceback" not in r.stderr
    assert "Contacts are coming back." not in r.stdout and "[Helpful]" in r.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.json"]


def test_ask_bad_input_is_explained(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"q": "is my data lost?"}\nnot json\n{"question": "x"}\n', encoding="utf-8")
    r = run(["--jsonl", str(questions)], tmp_path)
    assert r.returncode == 1
    assert r.stdout.count("\n") == 1
    assert "line 2" in r.stderr and "line 3" in r.stderr and "Traceback" not in r.stderr
    missing = run(["--jsonl", str(tmp_path / "nope.jsonl")], tmp_path)
    assert missing.returncode == 2 and "Cannot read" in missing.stderr
