"""Layout figures for `bot/`: module sizes (median, largest) and import cycles among bot modules.

Counts every import, including ones deferred inside functions, because a deferred import that hides a
cycle is still a cycle. Run: `python -m bench.layout` (add `--list` to see every module's size).
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bot"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def imports_of(path: Path, name: str, known: set[str]) -> tuple[set[str], set[str]]:
    """(every bot module this one imports, the ones imported inside a function or TYPE_CHECKING block)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    deferred: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # annotations only: not an import at run time
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                # `from pkg import submodule` depends on the submodule; `from pkg import name` on pkg
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in child.names]
            for t in targets:
                hit = resolve(t)
                if hit and hit != name and hit.startswith("bot"):
                    found.add(hit)
                    if inner:
                        deferred.add(hit)
            visit(child, inner)

    visit(tree, False)
    return found, deferred


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            strong(v)
    return out


def report() -> dict[str, object]:
    mods = modules()
    known = set(mods)
    graph: dict[str, set[str]] = {}
    deferred: dict[str, set[str]] = {}
    for name, path in mods.items():
        graph[name], deferred[name] = imports_of(path, name, known)
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in mods.items()}
    counted = {n: s for n, s in sizes.items() if s > 0}
    largest = max(counted, key=lambda n: counted[n])
    return {
        "modules": len(counted),
        "median_lines": statistics.median(counted.values()),
        "largest": (largest, counted[largest]),
        "over_400": sorted((n, s) for n, s in counted.items() if s > 400),
        "cycles": cycles(graph),
        "deferred_imports": sorted((a, b) for a, bs in deferred.items() for b in bs),
        "sizes": counted,
    }


def main() -> None:
    r = report()
    print(f"modules: {r['modules']} (empty __init__ files not counted)")
    print(f"median size: {r['median_lines']} lines")
    print(f"largest: {r['largest'][0]} ({r['largest'][1]} lines)")  # type: ignore[index]
    print(f"over 400 lines: {r['over_400']}")
    print(f"import cycles among bot modules: {len(r['cycles'])}")  # type: ignore[arg-type]
    for c in r["cycles"]:  # type: ignore[attr-defined]
        print("  cycle:", " <-> ".join(c))
    print(f"imports deferred into functions: {len(r['deferred_imports'])}")  # type: ignore[arg-type]
    for a, b in r["deferred_imports"]:  # type: ignore[attr-defined]
        print(f"  {a} -> {b}")
    if "--list" in sys.argv:
        for n, s in sorted(r["sizes"].items(), key=lambda kv: -kv[1]):  # type: ignore[attr-defined]
            print(f"{s:6d}  {n}")


if __name__ == "__main__":
    main()
