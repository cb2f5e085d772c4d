"""The two boundaries of the design: bot/core never imports discord; bot/sandbox never imports the bot.

Read from the source with ast, so an import that only runs in some code path still counts: imports at
module level, imports deferred into functions, imports under `if TYPE_CHECKING`, and
`importlib.import_module("...")` with a literal name. Importing a module also runs its parent packages'
`__init__.py`, so those are followed too, and every bot module reached is followed in turn: a core
module that imports a bot module that imports discord breaks the boundary as surely as `import discord`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `package` under `root`."""
    out: dict[str, Path] = {}
    for path in (root / package.replace(".", "/")).rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module importing `name` (whose source is `path`) makes Python import, wherever it happens."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # `from pkg import mod` imports the module pkg.mod
                if f"{target}.{alias.name}" in modules:
                    found.add(f"{target}.{alias.name}")
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    found.discard("")
    for module in list(found):
        found.update(_parents(module))
    return found


def reach(root: Path, start: str, own: str = "bot") -> dict[str, list[str]]:
    """Every module importing the modules of `start` leads to, each with one import chain that gets there.

    Modules of the `own` package are followed (their parent packages included); others are leaves.
    """
    modules = module_files(root, own)
    chains: dict[str, list[str]] = {}
    todo: list[str] = []
    for name in sorted(m for m in modules if m == start or m.startswith(start + ".")):
        for entry in [*_parents(name), name]:
            if entry not in chains:
                chains[entry] = [entry]
                todo.append(entry)
    while todo:
        current = todo.pop()
        path = modules.get(current)
        if path is None:
            continue
        for imported in sorted(imports_of(current, path, modules)):
            if imported not in chains:
                chains[imported] = [*chains[current], imported]
                if imported in modules:
                    todo.append(imported)
    return chains


def violations(root: Path, start: str, forbidden: Callable[[str], bool]) -> list[str]:
    return sorted(" -> ".join(chain) for name, chain in reach(root, start).items() if forbidden(name))


def _is_discord(name: str) -> bool:
    return name == "discord" or name.startswith("discord.")


def _outside_sandbox(name: str) -> bool:
    # `bot` itself is the package every bot.sandbox import runs: allowed, and followed like any other
    return (name == "bot" or name.startswith("bot.")) and name != "bot" and not name.startswith("bot.sandbox")


def test_core_never_imports_discord() -> None:
    assert violations(ROOT, "bot.core", _is_discord) == []


def test_sandbox_never_imports_the_bot() -> None:
    assert violations(ROOT, "bot.sandbox", _outside_sandbox) == []


def test_the_scan_sees_the_real_tree() -> None:
    core = reach(ROOT, "bot.core")
    assert {"bot.core.answering", "bot.core.feeds.fetch", "bot.config", "sqlalchemy", "openai"} <= set(core)
    sandbox = reach(ROOT, "bot.sandbox")
    assert {"bot.sandbox.rest", "bot.sandbox.driver", "aiohttp"} <= set(sandbox)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_check_fails_on_a_deferred_import_through_another_bot_module(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/core/__init__.py": "",
            "bot/core/a.py": "def later():\n    from bot import helpers\n    return helpers\n",
            "bot/helpers.py": "from .ui import render\n",
            "bot/ui/__init__.py": "",
            "bot/ui/render.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import discord.ext\n",
        },
    )
    assert violations(root, "bot.core", _is_discord) == [
        "bot.core.a -> bot.helpers -> bot.ui.render -> discord",
        "bot.core.a -> bot.helpers -> bot.ui.render -> discord.ext",
    ]


def test_the_check_fails_when_the_sandbox_reaches_the_bot(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/sandbox/__init__.py": "from .server import Server\n",
            "bot/sandbox/server.py": "import importlib\nSTATE = importlib.import_module('bot.sandbox.state')\n",
            "bot/sandbox/state.py": "from bot.exts import answers\n",
            "bot/exts/__init__.py": "",
            "bot/exts/answers.py": "",
        },
    )
    assert violations(root, "bot.sandbox", _outside_sandbox) == [
        "bot.sandbox.state -> bot.exts",
        "bot.sandbox.state -> bot.exts.answers",
    ]
    # and the same tree without the offending line passes: the check is not simply always red
    (root / "bot/sandbox/state.py").write_text("import json\n", encoding="utf-8")
    assert violations(root, "bot.sandbox", _outside_sandbox) == []
