"""The operator-edited prompt files, loaded and validated together, and the system prompt's rendering.

`load_prompts(directory)` reads `faq.md`, `safety.md` and `system.md`, so a typo in an operator's
edit is reported (file, line, plain sentence) before the bot starts using it. `system.md` is a
template whose placeholders (`SYSTEM_PLACEHOLDERS`) are filled for each question.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import KnowledgeError
from bot.core.knowledge import FaqEntry, load_faq, read_text
from bot.core.text.rules import SafetyRules, parse_safety

__all__ = ["SYSTEM_PLACEHOLDERS", "Prompts", "format_faq", "load_prompts", "parse_system_template"]

SYSTEM_PLACEHOLDERS = frozenset({"company", "faq", "status", "status_as_of", "instructions", "devices"})
OPTIONAL_PLACEHOLDERS = frozenset({"intent"})  # may be used, need not be: what the router decided the customer means


@dataclass(frozen=True, slots=True)
class Prompts:
    directory: Path
    system_template: str
    faq: tuple[FaqEntry, ...]
    safety: SafetyRules

    def render_system(self, values: Mapping[str, str]) -> str:
        missing = SYSTEM_PLACEHOLDERS - set(values)
        if missing:
            raise KeyError(f"missing values for {sorted(missing)}")
        known = SYSTEM_PLACEHOLDERS | OPTIONAL_PLACEHOLDERS
        return self.system_template.format_map({k: values.get(k, "") for k in known})


def format_faq(entries: Iterable[FaqEntry]) -> str:
    """Entries as text for the {faq} placeholder of the system prompt."""
    return "\n\n".join(f"Q: {e.question}\nA: {e.answer}" for e in entries)


def parse_system_template(text: str, file: str = "system.md") -> str:
    """Check that the template has every placeholder and no unknown one."""
    found: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(line) if f is not None]
        except ValueError as exc:
            raise KnowledgeError(
                f"Unmatched brace ({exc}); write a literal {{ or }} as {{{{ or }}}}.", file, number
            ) from exc
        for name in fields:
            if name not in SYSTEM_PLACEHOLDERS | OPTIONAL_PLACEHOLDERS:
                raise KnowledgeError(
                    f"Unknown placeholder {{{name}}}; the known ones are "
                    + ", ".join("{" + p + "}" for p in sorted(SYSTEM_PLACEHOLDERS | OPTIONAL_PLACEHOLDERS))
                    + ".",
                    file,
                    number,
                )
            found.add(name)
    missing = SYSTEM_PLACEHOLDERS - found
    if missing:
        raise KnowledgeError("The prompt must contain " + ", ".join("{" + p + "}" for p in sorted(missing)) + ".", file)
    return text


def load_prompts(directory: str | Path) -> Prompts:
    """Read and validate faq.md, safety.md and system.md from one directory."""
    directory = Path(directory)
    faq = load_faq(directory / "faq.md")
    safety = parse_safety(read_text(directory / "safety.md"), "safety.md")
    system = parse_system_template(read_text(directory / "system.md"), "system.md")
    return Prompts(directory, system, tuple(faq), safety)
