"""Mutation testing for the modules that hold the README's promises: break the code, see a test fail.

    python -m bench.mutate                       # default set, 30-minute budget
    python -m bench.mutate bot/pacing/window.py bot/core/registry.py --budget 600
    python -m bench.mutate 'bot/ui/admin_views.py::is_staff,require_staff' --max-per-module 20
    python -m bench.mutate --from-report before.json --json after.json --markdown after.md

Each mutant is one small change to one module, made on the syntax tree and written over the module's
file; the module's tests then run (`pytest -x -q -p no:cacheprovider`) and the file is restored, always,
even on Ctrl-C (checked against `git diff` at the end). A mutant is *killed* when a test fails (or the
run times out, or the mutated module no longer imports) and *survives* when every test passes.

Operators: comparison flips (== and !=, < and >=, > and <=, is / is not, in / not in) and boundary
shifts (< and <=, > and >=); `and` / `or`; `not x` -> `x`; True / False; numbers (0 and 1, n -> n+1);
`+` / `-` (also `+=` / `-=`); `return x` -> `return None`; a statement inside a function replaced by
`pass`. Docstrings, logging calls, type annotations, f-strings and `__repr__` are left alone.

Which tests run: the test files that import the module, directly or through other bot modules or a
conftest (plus tests/e2e for a module that imports discord), narrowed by a coverage pass to the tests
that execute the mutated line (`--no-coverage` runs the whole files; `--tests` overrides the files).
A mutant on a line no test executes survives without a run ("no coverage").

When the budget cannot cover every mutant, each module gets an equal share of what is left, and its
mutants are tried in an order shuffled by `--seed`, so the sampled set is the same from run to run.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import datetime as dt
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_PARENT = ROOT  # where the `bench` package (and its pytest plugin) can be imported from

DEFAULT_MODULES = ("bot/core/**/*.py", "bot/pacing/*.py")
CHECKS_MODULE = "bot/exts/checks.py"
CHECKS_FALLBACK = "bot/ui/admin_views.py::is_staff,require_staff"
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider")
LOG_NAMES = {"log", "logger", "logging", "_log", "LOG", "LOGGER", "warnings"}

KILLED, SURVIVED, TIMEOUT, NO_COVERAGE, ERROR = "killed", "survived", "timeout", "no coverage", "error"


# -- mutants -------------------------------------------------------------------------------------------

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BOUNDARY: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_ARITH: dict[type[ast.operator], type[ast.operator]] = {ast.Add: ast.Sub, ast.Sub: ast.Add}


@dataclass
class Mutant:
    path: str  # relative to the root, with "/"
    lineno: int
    end_lineno: int
    col: int
    operator: str
    description: str
    start: int  # byte offsets of the replaced span in the original file
    end: int
    replacement: str
    first_line: int = 0
    status: str = ""
    seconds: float = 0.0
    tests: int = 0  # how many test ids (or files) ran

    @property
    def key(self) -> str:
        """Identifies the mutant across runs while the module is unchanged."""
        return f"{self.path}:{self.lineno}:{self.col}:{self.operator}:{self.replacement}"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.lineno}"


@dataclass
class _Candidate:
    node: ast.AST
    operator: str
    transform: Callable[[ast.AST], ast.AST]
    statement: bool = False
    first_line: int = 0  # of the enclosing statement: coverage reports a multi-line statement there


def _is_docstring(stmt: ast.stmt, parent: ast.AST) -> bool:
    body = getattr(parent, "body", None)
    return (
        isinstance(body, list)
        and bool(body)
        and body[0] is stmt
        and isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_logging_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    while isinstance(func, ast.Attribute):
        func = func.value
        if isinstance(func, ast.Name) and func.id in LOG_NAMES:
            return True
    return False


def _is_string_concat(node: ast.BinOp) -> bool:
    def stringy(n: ast.AST) -> bool:
        return isinstance(n, ast.JoinedStr) or (isinstance(n, ast.Constant) and isinstance(n.value, str | bytes))

    return stringy(node.left) or stringy(node.right)


class _Collector:
    """Walks a module and lists what can be mutated, skipping what the runner must leave alone."""

    def __init__(self, functions: set[str] | None) -> None:
        self.functions = functions
        self.found: list[_Candidate] = []
        self.stmt_line = 0

    def collect(self, tree: ast.Module) -> list[_Candidate]:
        self._visit(tree, tree, in_function=False, selected=self.functions is None, scope="")
        return self.found

    def _visit(self, node: ast.AST, parent: ast.AST, in_function: bool, selected: bool, scope: str) -> None:
        if isinstance(node, ast.stmt):
            self.stmt_line = node.lineno
        if isinstance(node, ast.Call) and _is_logging_call(node):
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == "__repr__":
                return
            qual = f"{scope}.{node.name}" if scope else node.name
            if self.functions is not None and (node.name in self.functions or qual in self.functions):
                selected = True
            for d in node.decorator_list:
                self._visit(d, node, in_function, selected, scope)
            self._visit_args(node.args, node, in_function, selected, scope)
            for stmt in node.body:
                self._visit(stmt, node, True, selected, qual)
            return
        if isinstance(node, ast.ClassDef):
            qual = f"{scope}.{node.name}" if scope else node.name
            for stmt in node.body:
                self._visit(stmt, node, in_function, selected, qual)
            return
        if isinstance(node, ast.Lambda):
            self._visit_args(node.args, node, in_function, selected, scope)
            self._visit(node.body, node, True, selected, scope)
            return
        if isinstance(node, ast.JoinedStr):
            return  # f-string parts carry unreliable positions; their text is not logic anyway
        if isinstance(node, ast.stmt):
            if _is_docstring(node, parent):
                return
            if isinstance(node, ast.Expr) and _is_logging_call(node.value):
                return
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                return
            if isinstance(node, ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal):
                return
            if isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self._visit(node.value, node, in_function, selected, scope)
                    if in_function and selected:
                        self._remove(node)
                return
            if selected:
                self._statement(node, in_function)
        elif selected:
            self._expression(node)
        for child in ast.iter_child_nodes(node):
            self._visit(child, node, in_function, selected, scope)

    def _visit_args(self, args: ast.arguments, parent: ast.AST, in_function: bool, selected: bool, scope: str) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self._visit(default, parent, in_function, selected, scope)

    def _add(self, candidate: _Candidate) -> None:
        candidate.first_line = self.stmt_line
        self.found.append(candidate)

    def _remove(self, node: ast.stmt) -> None:
        self._add(_Candidate(node, "remove statement", lambda n: ast.Pass(), statement=True))

    def _statement(self, node: ast.stmt, in_function: bool) -> None:
        if isinstance(node, ast.Return):
            value = node.value
            # `return <constant>`: the constant's own mutant says it better (`return False` -> None is the same)
            if value is not None and not isinstance(value, ast.Constant):
                self._add(
                    _Candidate(node, "return None", lambda n: ast.Return(value=ast.Constant(None)), statement=True)
                )
            return
        if isinstance(node, ast.AugAssign) and type(node.op) in _ARITH:
            new_op = _ARITH[type(node.op)]

            def aug(n: ast.AST, new_op: type[ast.operator] = new_op) -> ast.AST:
                m = copy.deepcopy(n)
                assert isinstance(m, ast.AugAssign)
                m.op = new_op()
                return m

            self._add(_Candidate(node, "arithmetic", aug, statement=True))
        removable = ast.Expr | ast.Assign | ast.AugAssign | ast.Raise | ast.Delete | ast.Break | ast.Continue
        if in_function and isinstance(node, removable):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                return  # `...` or a stray string
            self._remove(node)

    def _expression(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call) and _is_logging_call(node):
            return
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for table, name in ((_FLIP, "comparison flip"), (_BOUNDARY, "comparison boundary")):
                    if type(op) in table:
                        replaced = table[type(op)]

                        def cmp(n: ast.AST, i: int = i, new: type[ast.cmpop] = replaced) -> ast.AST:
                            m = copy.deepcopy(n)
                            assert isinstance(m, ast.Compare)
                            m.ops[i] = new()
                            return m

                        self._add(_Candidate(node, name, cmp))
        elif isinstance(node, ast.BoolOp):

            def swap(n: ast.AST) -> ast.AST:
                m = copy.deepcopy(n)
                assert isinstance(m, ast.BoolOp)
                m.op = ast.Or() if isinstance(m.op, ast.And) else ast.And()
                return m

            self._add(_Candidate(node, "and/or swap", swap))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self._add(_Candidate(node, "not removed", lambda n: copy.deepcopy(n.operand)))  # type: ignore[attr-defined]
        elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH and not _is_string_concat(node):

            def arith(n: ast.AST) -> ast.AST:
                m = copy.deepcopy(n)
                assert isinstance(m, ast.BinOp)
                m.op = _ARITH[type(m.op)]()
                return m

            self._add(_Candidate(node, "arithmetic", arith))
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                self._add(_Candidate(node, "boolean", lambda n: ast.Constant(not v)))
            elif isinstance(v, int | float) and not isinstance(v, complex):
                new: int | float = type(v)(1 if v == 0 else 0 if v == 1 else v + 1)
                self._add(_Candidate(node, "number", lambda n: ast.Constant(new)))


class _Replace(ast.NodeTransformer):
    """Replaces the one node at a given position (and of a given type) in a fresh tree."""

    def __init__(self, target: ast.AST, transform: Callable[[ast.AST], ast.AST]) -> None:
        self.where = (type(target), *_position(target))
        self.transform = transform
        self.done = False

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if not self.done and (type(node), *_position(node)) == self.where:
            self.done = True
            return self.transform(node)
        return super().generic_visit(node)


def _position(node: ast.AST) -> tuple[int, int, int, int]:
    return (
        getattr(node, "lineno", -1),
        getattr(node, "col_offset", -1),
        getattr(node, "end_lineno", -1),
        getattr(node, "end_col_offset", -1),
    )


def _one_line(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mutants_for(path: Path, root: Path = ROOT, functions: set[str] | None = None) -> list[Mutant]:
    """Every mutant of one module, in source order. Each is checked: applied to the text, it parses to
    exactly the intended tree (anything else is dropped)."""
    source = path.read_bytes()
    tree = ast.parse(source)
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    out: list[Mutant] = []
    for cand in _Collector(functions).collect(tree):
        node = cand.node
        lineno, col, end_lineno, end_col = _position(node)
        start, end = line_starts[lineno - 1] + col, line_starts[end_lineno - 1] + end_col
        new_node = cand.transform(node)
        ast.fix_missing_locations(new_node)
        text = ast.unparse(new_node)
        expected = ast.dump(_Replace(node, cand.transform).visit(ast.parse(source)))
        # bare if that parses to the intended tree, else in parentheses (precedence), else dropped
        for replacement in [text] if cand.statement else [text, f"({text})"]:
            try:
                if ast.dump(ast.parse(source[:start] + replacement.encode() + source[end:])) == expected:
                    break
            except SyntaxError:
                pass
        else:
            continue
        original = source[start:end].decode("utf-8", "replace")
        if cand.operator == "remove statement":
            description = f"removed `{_one_line(original)}`"
        else:
            description = f"`{_one_line(original)}` -> `{_one_line(text)}`"
        first = min(cand.first_line or lineno, lineno)
        out.append(Mutant(rel, lineno, end_lineno, col, cand.operator, description, start, end, replacement, first))
    return out


def apply(source: bytes, m: Mutant) -> bytes:
    return source[: m.start] + m.replacement.encode() + source[m.end :]


# -- writing a mutant over the module, and always putting the original back ----------------------------


def _drop_bytecode(path: Path) -> None:
    # the mutant and the original can share size and mtime second: never let a stale .pyc answer for them
    with contextlib.suppress(FileNotFoundError):
        os.remove(importlib.util.cache_from_source(str(path)))


@contextlib.contextmanager
def mutated(path: Path, original: bytes, m: Mutant) -> Iterator[None]:
    """The module holds the mutant inside the block; afterwards (whatever happened) the original."""
    try:
        path.write_bytes(apply(original, m))
        _drop_bytecode(path)
        yield
    finally:
        path.write_bytes(original)
        _drop_bytecode(path)


@contextlib.contextmanager
def _interrupts_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so `finally` restores the module."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# -- which tests belong to a module --------------------------------------------------------------------


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.resolve().relative_to(root.resolve()).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules under `root` that this file imports at run time (deferred imports included)."""
    tree = ast.parse(path.read_bytes())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
            parent = target.rpartition(".")[0]
            while parent:  # importing a.b.c runs a/__init__ and a/b/__init__ too
                if parent in known:
                    found.add(parent)
                parent = parent.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                for a in child.names:
                    add(a.name)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*up, base] if base else up)
                for a in child.names:
                    add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base)
            visit(child)

    visit(tree)
    return found


class TestMap:
    """Test file -> every module it reaches through imports (its own, its conftests', transitively)."""

    def __init__(self, root: Path, tests_dir: str = "tests") -> None:
        self.root = root
        files = [p for p in root.rglob("*.py") if ".venv" not in p.parts and "__pycache__" not in p.parts]
        self.paths = {_module_name(p, root): p for p in files}
        known = set(self.paths)
        self.graph = {name: _imports(p, name, known) for name, p in self.paths.items()}
        tdir = root / tests_dir
        self.test_files = sorted(p for p in tdir.rglob("test_*.py") if "__pycache__" not in p.parts)
        self._reach: dict[str, set[str]] = {}
        for t in self.test_files:
            start = {_module_name(t, root)}
            for conftest in _conftests(t, root):
                start.add(_module_name(conftest, root))
            self._reach[t.relative_to(root).as_posix()] = self._closure(start)

    def _closure(self, start: set[str]) -> set[str]:
        seen, todo = set(start), list(start)
        while todo:
            for dep in self.graph.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    def tests_for(self, module: Path, discord_facing: bool = False) -> list[str]:
        name = _module_name(module, self.root)
        hits = [t for t, reach in self._reach.items() if name in reach]
        if discord_facing:
            hits += [t for t in self._reach if t.startswith("tests/e2e/") and t not in hits]
        return sorted(hits)


def _conftests(test: Path, root: Path) -> list[Path]:
    out = []
    d = test.parent
    while True:
        if (d / "conftest.py").exists():
            out.append(d / "conftest.py")
        if d.resolve() == root.resolve():
            return out
        d = d.parent


def _imports_discord(path: Path) -> bool:
    tree = ast.parse(path.read_bytes())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "discord" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "discord" and not node.level:
            return True
    return False


# -- coverage pass ---------------------------------------------------------------------------------------


@dataclass
class Coverage:
    """Which test ids execute each line, and how long each test took, on the unmutated code."""

    lines: dict[str, dict[int, set[str]]] = field(default_factory=dict)  # rel path -> line -> test ids
    durations: dict[str, float] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    seconds: float = 0.0


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(root), str(BENCH_PARENT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def coverage_pass(root: Path, modules: Sequence[Path], test_files: Sequence[str], timeout: float) -> Coverage:
    from coverage import CoverageData

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutate-cov-") as tmp:
        data_file = Path(tmp) / ".coverage"
        log_file = Path(tmp) / "tests.json"
        include = ",".join(str(m.resolve()) for m in modules)
        cmd = [
            sys.executable, "-m", "coverage", "run", f"--data-file={data_file}", f"--include={include}",
            "-m", "pytest", *PYTEST_ARGS[1:], "-p", "bench._mutate_plugin", *test_files,
        ]  # fmt: skip
        env = _env(root) | {"MUTATE_TEST_LOG": str(log_file)}
        code, _, output = _run(cmd, root, env, timeout)
        if not log_file.exists():
            raise SystemExit(f"coverage pass did not finish (exit {code}):\n{output[-3000:]}")
        log = json.loads(log_file.read_text("utf-8"))
        data = CoverageData(str(data_file))
        data.read()
        result = Coverage(durations=log["durations"], failed=set(log["failed"]))
        for m in modules:
            rel = m.resolve().relative_to(root.resolve()).as_posix()
            by_line = data.contexts_by_lineno(str(m.resolve()))
            result.lines[rel] = {line: set(ctx) for line, ctx in by_line.items()}
    result.seconds = time.monotonic() - started
    return result


# -- running the tests for one mutant ---------------------------------------------------------------------


def _run(cmd: Sequence[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, float, str]:
    """(exit code or None on timeout, seconds, output). The whole process group goes on timeout or Ctrl-C."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return code, time.monotonic() - started, text


def pytest_status(code: int | None) -> str:
    if code is None:
        return TIMEOUT
    if code == 0:
        return SURVIVED
    if code in (1, 2, 3):  # failed, interrupted (e.g. the mutant breaks collection), internal error
        return KILLED
    return ERROR  # 4: usage error, 5: no test ran: the runner's fault, not the mutant's


RunTests = Callable[[Path, Sequence[str], float], tuple[str, float]]


def run_pytest(root: Path, selection: Sequence[str], timeout: float) -> tuple[str, float]:
    code, seconds, _ = _run([sys.executable, "-m", "pytest", *PYTEST_ARGS, *selection], root, _env(root), timeout)
    return pytest_status(code), seconds


# -- the campaign ------------------------------------------------------------------------------------------


@dataclass
class Target:
    path: Path
    functions: set[str] | None
    tests: list[str]


def parse_targets(specs: Sequence[str], root: Path) -> list[tuple[Path, set[str] | None]]:
    out: list[tuple[Path, set[str] | None]] = []
    seen: set[Path] = set()
    for spec in specs:
        pattern, _, funcs = spec.partition("::")
        functions = {f.strip() for f in funcs.split(",") if f.strip()} or None
        matches = sorted(root.glob(pattern)) if any(c in pattern for c in "*?[") else [root / pattern]
        for p in matches:
            if p.suffix != ".py" or "__pycache__" in p.parts or p in seen:
                continue
            if not p.exists():
                raise SystemExit(f"no such module: {p}")
            if not p.read_text("utf-8").strip():
                continue  # an empty __init__
            seen.add(p)
            out.append((p, functions))
    return out


def default_specs(root: Path) -> list[str]:
    checks = CHECKS_MODULE if (root / CHECKS_MODULE).exists() else CHECKS_FALLBACK
    return [*DEFAULT_MODULES, checks]


def _sample(mutants: list[Mutant], seed: int, path: str) -> list[Mutant]:
    order = list(mutants)
    random.Random(f"{seed}:{path}").shuffle(order)
    return order


def _selection(m: Mutant, target: Target, cov: Coverage | None) -> list[str] | None:
    """Test ids (or files) to run for a mutant, fastest first; None when no test executes its lines."""
    if cov is None:
        return list(target.tests)
    by_line = cov.lines.get(m.path, {})
    contexts: set[str] = set()
    executed = False
    for line in range(m.first_line or m.lineno, m.end_lineno + 1):
        if line in by_line:
            executed = True
            contexts |= by_line[line]
    if not executed:
        return None
    ids = {c.split("[", 1)[0] for c in contexts if c and c not in cov.failed}
    ids = {i for i in ids if i.split("::", 1)[0] in target.tests}
    if not ids:
        # executed at import time only (a module constant, a default argument): any test may see it
        return list(target.tests)

    def cost(test_id: str) -> float:
        return sum(d for n, d in cov.durations.items() if n.split("[", 1)[0] == test_id)

    return sorted(ids, key=lambda i: (cost(i), i))


def _expected_seconds(selection: Sequence[str], cov: Coverage | None) -> float:
    if cov is None:
        return 60.0
    chosen = set(selection)
    total = 0.0
    for nodeid, d in cov.durations.items():
        base = nodeid.split("[", 1)[0]
        if base in chosen or nodeid.split("::", 1)[0] in chosen:
            total += d
    return total


def _say(line: str) -> None:
    print(line, flush=True)


@dataclass
class Campaign:
    root: Path
    targets: list[Target]
    budget: float
    max_per_module: int | None = None
    seed: int = 0
    use_coverage: bool = True
    timeout_factor: float = 3.0
    timeout_extra: float = 20.0
    only: set[str] | None = None  # mutant keys to run (from an earlier report)
    specs: list[str] = field(default_factory=list)  # as given on the command line, for the report
    run_tests: RunTests = run_pytest
    echo: Callable[[str], None] = _say
    results: list[Mutant] = field(default_factory=list)
    enumerated: dict[str, int] = field(default_factory=dict)
    coverage_seconds: float = 0.0

    def run(self) -> list[Mutant]:
        started = time.monotonic()
        originals = {t.path: t.path.read_bytes() for t in self.targets}
        git_before = self._git_diff()
        cov: Coverage | None = None
        try:
            with _interrupts_raise():
                if self.use_coverage:
                    files = sorted({f for t in self.targets for f in t.tests})
                    self.echo(f"coverage pass over {len(files)} test files ...")
                    cov = coverage_pass(self.root, [t.path for t in self.targets], files, timeout=max(self.budget, 600))
                    self.coverage_seconds = cov.seconds
                    self.echo(f"  {cov.seconds:.0f} s, {len(cov.durations)} tests, {len(cov.failed)} failing")
                for i, target in enumerate(self.targets):
                    left = self.budget - (time.monotonic() - started)
                    share = left / (len(self.targets) - i)
                    self._module(target, originals[target.path], cov, share)
        finally:
            for path, data in originals.items():  # belt and braces: `mutated` already restored each
                if path.read_bytes() != data:
                    path.write_bytes(data)
                    _drop_bytecode(path)
            after = self._git_diff()
            if after != git_before:
                self.echo("WARNING: git diff changed during the run; check the mutated modules")
            elif git_before is not None:
                self.echo("restored: git diff of the mutated modules is as before the run")
        return self.results

    def _git_diff(self) -> str | None:
        try:
            done = subprocess.run(
                ["git", "diff", "--no-ext-diff", "--", *[str(t.path) for t in self.targets]],
                cwd=self.root, capture_output=True, text=True, check=True,
            )  # fmt: skip
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout

    def _module(self, target: Target, original: bytes, cov: Coverage | None, share: float) -> None:
        started = time.monotonic()
        mutants = mutants_for(target.path, self.root, target.functions)
        rel = target.path.relative_to(self.root).as_posix()
        self.enumerated[rel] = len(mutants)
        order = _sample(mutants, self.seed, rel)
        if self.only is not None:
            order = [m for m in order if m.key in self.only]
        elif self.max_per_module is not None:
            order = order[: self.max_per_module]
        self.echo(f"{rel}: {len(mutants)} mutants, {len(target.tests)} test files, {share:.0f} s")
        if not target.tests:
            self.echo("  no test file reaches this module")
        for m in order:
            if time.monotonic() - started >= share:
                break
            selection = _selection(m, target, cov) if target.tests else None
            if selection is None:
                m.status = NO_COVERAGE
            else:
                timeout = self.timeout_factor * _expected_seconds(selection, cov) + self.timeout_extra
                with mutated(target.path, original, m):
                    m.status, m.seconds = self.run_tests(self.root, selection, timeout)
                    files = sorted({s.split("::", 1)[0] for s in selection})
                    if m.status == ERROR and files != selection:
                        # a test id not found: the mutant changed what is collected (a parametrize list
                        # built with the module); judge it on the whole files instead
                        selection = files
                        timeout = self.timeout_factor * _expected_seconds(selection, cov) + self.timeout_extra
                        m.status, more = self.run_tests(self.root, selection, timeout)
                        m.seconds += more
                m.tests = len(selection)
            self.results.append(m)
            if m.status in (SURVIVED, NO_COVERAGE, ERROR):
                self.echo(f"  {m.status:>11}  {m.where}  {m.description}")


# -- reporting ----------------------------------------------------------------------------------------------


def summarize(results: Sequence[Mutant]) -> dict[str, Any]:
    modules: dict[str, dict[str, int]] = {}
    for m in results:
        row = modules.setdefault(m.path, {KILLED: 0, TIMEOUT: 0, SURVIVED: 0, NO_COVERAGE: 0, ERROR: 0})
        row[m.status] += 1
    total = {s: sum(r[s] for r in modules.values()) for s in (KILLED, TIMEOUT, SURVIVED, NO_COVERAGE, ERROR)}
    return {"modules": modules, "total": total, "score": score(total)}


def score(counts: dict[str, int]) -> float | None:
    caught = counts[KILLED] + counts[TIMEOUT]
    judged = caught + counts[SURVIVED] + counts[NO_COVERAGE]  # errors are the runner's, not counted
    return round(100 * caught / judged, 1) if judged else None


def print_summary(results: Sequence[Mutant], echo: Callable[[str], None] = print) -> None:
    s = summarize(results)
    echo("")
    echo(f"{'module':44} {'killed':>6} {'timeout':>7} {'survived':>8} {'no cov':>6} {'score':>6}")
    for path, r in s["modules"].items():
        sc = score(r)
        echo(
            f"{path:44} {r[KILLED]:6} {r[TIMEOUT]:7} {r[SURVIVED]:8} {r[NO_COVERAGE]:6} "
            f"{'-' if sc is None else f'{sc:.1f}%':>6}"
        )
    t = s["total"]
    overall = "-" if s["score"] is None else f"{s['score']:.1f}%"
    echo(f"{'total':44} {t[KILLED]:6} {t[TIMEOUT]:7} {t[SURVIVED]:8} {t[NO_COVERAGE]:6} {overall:>6}")
    if t[ERROR]:
        echo(f"{t[ERROR]} mutants could not be judged (pytest usage error or no test ran); not counted")
    echo(f"mutation score: {overall} = (killed + timeout) / (killed + timeout + survived + no coverage)")
    survivors = [m for m in results if m.status in (SURVIVED, NO_COVERAGE)]
    if survivors:
        echo("")
        echo("surviving mutants:")
        for m in sorted(survivors, key=lambda m: (m.path, m.lineno, m.col)):
            tag = " (no test executes this line)" if m.status == NO_COVERAGE else ""
            echo(f"  {m.where}  {m.description}{tag}")


def write_json(path: Path, campaign: Campaign, argv: Sequence[str], seconds: float) -> None:
    payload = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _git_head(campaign.root),
        "argv": list(argv),
        "specs": campaign.specs,
        "seed": campaign.seed,
        "budget": campaign.budget,
        "seconds": round(seconds, 1),
        "coverage_seconds": round(campaign.coverage_seconds, 1),
        "enumerated": campaign.enumerated,
        "tests": {t.path.relative_to(campaign.root).as_posix(): t.tests for t in campaign.targets},
        **summarize(campaign.results),
        "mutants": [asdict(m) | {"key": m.key} for m in campaign.results],
    }
    path.write_text(json.dumps(payload, indent=1) + "\n", "utf-8")


def write_markdown(path: Path, campaign: Campaign, seconds: float) -> None:
    s = summarize(campaign.results)
    lines = [
        f"# Mutation run {dt.date.today().isoformat()} (commit {_git_head(campaign.root) or '?'})",
        "",
        f"Budget {campaign.budget:.0f} s, took {seconds:.0f} s (coverage pass {campaign.coverage_seconds:.0f} s), "
        f"seed {campaign.seed}.",
        "",
        "| module | mutants | tried | killed | timeout | survived | no coverage | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for module, r in s["modules"].items():
        tried = sum(r.values())
        sc = score(r)
        lines.append(
            f"| {module} | {campaign.enumerated.get(module, '?')} | {tried} | {r[KILLED]} | {r[TIMEOUT]} | "
            f"{r[SURVIVED]} | {r[NO_COVERAGE]} | {'-' if sc is None else f'{sc:.1f}%'} |"
        )
    lines += ["", f"Mutation score: **{s['score']}%**", "", "## Survivors", ""]
    for m in sorted(campaign.results, key=lambda m: (m.path, m.lineno, m.col)):
        if m.status in (SURVIVED, NO_COVERAGE):
            tag = " (no coverage)" if m.status == NO_COVERAGE else ""
            lines.append(f"- `{m.where}` {m.description}{tag}")
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _git_head(root: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    except OSError:
        return None
    return done.stdout.strip() or None


def build_targets(root: Path, specs: Sequence[str], tests_override: Sequence[str] | None) -> list[Target]:
    chosen = parse_targets(specs, root)
    test_map = None if tests_override else TestMap(root)
    targets = []
    for path, functions in chosen:
        if tests_override:
            tests = sorted({t for spec in tests_override for t in _expand_tests(root, spec)})
        else:
            assert test_map is not None
            tests = test_map.tests_for(path, discord_facing=_imports_discord(path))
        targets.append(Target(path, functions, tests))
    return targets


def _combine(root: Path, reports: Sequence[Path], json_out: Path | None, markdown_out: Path | None) -> int:
    rank = {KILLED: 0, TIMEOUT: 1, SURVIVED: 2, NO_COVERAGE: 3, ERROR: 4}
    best: dict[str, Mutant] = {}
    loaded = [json.loads(p.read_text("utf-8")) for p in reports]
    for report in loaded:
        for row in report["mutants"]:
            m = _mutant_from(row)
            if m.key not in best or rank[m.status] < rank[best[m.key].status]:
                best[m.key] = m
    first = loaded[0]
    campaign = Campaign(root, [], first.get("budget", 0), specs=first.get("specs", []))
    campaign.results = sorted(best.values(), key=lambda m: (m.path, m.lineno, m.col))
    campaign.enumerated = {k: v for r in loaded for k, v in r.get("enumerated", {}).items()}
    print(f"combined {', '.join(str(p) for p in reports)}")
    print_summary(campaign.results)
    if json_out:
        write_json(json_out, campaign, ["--combine", *map(str, reports)], 0.0)
    if markdown_out:
        write_markdown(markdown_out, campaign, 0.0)
    return 0


def _mutant_from(row: dict[str, Any]) -> Mutant:
    names = {f.name for f in Mutant.__dataclass_fields__.values()}
    return Mutant(**{k: v for k, v in row.items() if k in names})


def _expand_tests(root: Path, spec: str) -> list[str]:
    p = root / spec
    if p.is_dir():
        return [q.relative_to(root).as_posix() for q in sorted(p.rglob("test_*.py"))]
    if any(c in spec for c in "*?["):
        return [q.relative_to(root).as_posix() for q in sorted(root.glob(spec))]
    return [spec]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m bench.mutate", description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help="paths or globs, optionally path::func1,func2 (default: the set above)")
    ap.add_argument("--budget", type=float, default=1800, help="seconds for the whole run (default 1800)")
    ap.add_argument("--max-per-module", type=int, help="try at most N mutants per module")
    ap.add_argument("--seed", type=int, default=0, help="sampling order (default 0)")
    ap.add_argument("--tests", nargs="+", help="test files or folders to use for every module instead of the map")
    ap.add_argument("--no-coverage", action="store_true", help="run the module's whole test files for every mutant")
    ap.add_argument("--timeout-factor", type=float, default=3.0, help="timeout = factor x expected + extra")
    ap.add_argument("--timeout-extra", type=float, default=20.0)
    ap.add_argument("--from-report", type=Path, help="run exactly the mutants of an earlier --json report")
    ap.add_argument(
        "--survivors-only",
        action="store_true",
        help="with --from-report: rerun only its survivors and count its killed mutants as they were",
    )
    ap.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        metavar="REPORT",
        help="merge --json reports of the same mutants run against different tests (killed in any = killed)",
    )
    ap.add_argument("--json", type=Path, help="write the results as JSON")
    ap.add_argument("--markdown", type=Path, help="write the results as markdown")
    ap.add_argument("--list", action="store_true", help="list the mutants and their tests; run nothing")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    root = args.root.resolve()

    if args.combine:
        return _combine(root, args.combine, args.json, args.markdown)
    only: set[str] | None = None
    carried: list[Mutant] = []
    rows: list[dict[str, Any]] = []
    specs = args.modules
    if args.from_report:
        earlier = json.loads(args.from_report.read_text("utf-8"))
        rows = earlier["mutants"]
        if args.survivors_only:
            # tests were only added since: what was killed stays killed
            carried = [_mutant_from(r) for r in rows if r["status"] in (KILLED, TIMEOUT)]
            rows = [r for r in rows if r["status"] not in (KILLED, TIMEOUT)]
        only = {r["key"] for r in rows}
        specs = specs or earlier.get("specs") or sorted({r["path"] for r in earlier["mutants"]})
    specs = list(specs or default_specs(root))
    targets = build_targets(root, specs, args.tests)
    if args.list:
        for t in targets:
            ms = mutants_for(t.path, root, t.functions)
            print(f"{t.path.relative_to(root)}: {len(ms)} mutants; tests: {' '.join(t.tests) or '(none)'}")
            for m in ms:
                print(f"  {m.where}  [{m.operator}] {m.description}")
        return 0
    campaign = Campaign(
        root, targets, args.budget, args.max_per_module, args.seed, not args.no_coverage,
        args.timeout_factor, args.timeout_extra, only, specs=specs,
    )  # fmt: skip
    started = time.monotonic()
    try:
        campaign.run()
    except KeyboardInterrupt:
        print("\ninterrupted; the modules are restored. Results so far:")
    seconds = time.monotonic() - started
    if args.survivors_only and args.from_report:
        ran = {m.key for m in campaign.results}
        untried = [_mutant_from(r) for r in rows if r["key"] not in ran]
        print(f"\n{len(carried)} mutants killed in {args.from_report} are counted as killed without a rerun")
        if untried:
            print(f"{len(untried)} earlier survivors not rerun (other modules, or no budget left) count as before")
        campaign.results = carried + campaign.results + untried
    print_summary(campaign.results)
    print(f"\n{len(campaign.results)} mutants in {seconds:.0f} s")
    if args.json:
        write_json(args.json, campaign, argv, seconds)
    if args.markdown:
        write_markdown(args.markdown, campaign, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
