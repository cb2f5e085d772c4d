"""The sandbox is a Discord, not part of the bot: it imports nothing of the bot, nor the discord.py client."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.sandbox

SANDBOX = Path(bot.sandbox.__file__).parent


def imported_names(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names, wherever it is (functions, TYPE_CHECKING blocks)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"  # absolute imports keep this check honest
            names.add(node.module or "")
    return names


def forbidden(name: str) -> bool:
    top, _, _ = name.partition(".")
    return top == "discord" or (top == "bot" and name != "bot.sandbox" and not name.startswith("bot.sandbox."))


def test_the_sandbox_imports_nothing_of_the_bot() -> None:
    modules = sorted(SANDBOX.rglob("*.py"))
    assert len(modules) > 30 and SANDBOX / "terminal" / "chat.py" in modules
    assert [forbidden(n) for n in ("bot.config", "bot", "discord.ui", "bot.sandbox", "bot.sandboxes")] == \
        [True, True, True, False, True]
    offending = {f"{path.relative_to(SANDBOX)}: {name}"
                 for path in modules for name in imported_names(path) if forbidden(name)}
    assert not offending
