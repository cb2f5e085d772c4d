"""The labelled evaluation sets (see README.md here) and their loader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KINDS = frozenset(
    {"faq", "status", "device", "smalltalk", "human", "distress", "crisis", "refuse", "offtopic", "device_id",
     "nonsense"}
)
HANDOVER_KINDS = frozenset({"human", "distress", "crisis"})
HELD_OUT = frozenset({"kestrel", "milepost"})
"""Sets written blind and scored before any tuning: bench_eval.py prints them, the floor test leaves them out."""


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    arg: str = ""  # the FAQ key for faq, the data type (or *) for status

    def __str__(self) -> str:
        return f"{self.kind} {self.arg}".strip()


@dataclass(frozen=True, slots=True)
class Item:
    question: str
    labels: tuple[Label, ...]
    line: int

    @property
    def kind(self) -> str:
        """The main label: the first one (crisis counts as distress for per-intent figures)."""
        return self.labels[0].kind

    @property
    def hand_over(self) -> bool:
        return self.labels[0].kind in HANDOVER_KINDS


@dataclass(frozen=True, slots=True)
class EvalSet:
    name: str
    faq: Path
    status: Path
    items: tuple[Item, ...]


def parse_questions(text: str, file: str = "questions.txt") -> list[Item]:
    items: list[Item] = []
    labels: tuple[Label, ...] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("# ") or line == "#":
            continue
        if line.startswith("## "):
            parsed = []
            for alt in line[3:].split("|"):
                words = alt.split()
                if not words or words[0] not in KINDS:
                    raise ValueError(f"{file}, line {number}: unknown label {alt.strip()!r}")
                parsed.append(Label(words[0], " ".join(words[1:])))
            labels = tuple(parsed)
            continue
        if labels is None:
            raise ValueError(f"{file}, line {number}: a question before any '## label' line")
        items.append(Item(line, labels, number))
    return items


def load_set(name: str) -> EvalSet:
    folder = HERE / name
    if name == "larkspur":
        faq, status = ROOT / "prompts" / "faq.md", ROOT / "prompts" / "sample-status" / "recovery.json"
    else:
        faq, status = folder / "faq.md", folder / "status.json"
    questions = folder / "questions.txt"
    return EvalSet(name, faq, status, tuple(parse_questions(questions.read_text(encoding="utf-8"), str(questions))))


def all_sets() -> list[EvalSet]:
    return [load_set(p.name) for p in sorted(HERE.iterdir()) if (p / "questions.txt").is_file()]
