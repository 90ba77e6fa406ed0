"""The package's layers hold, and no module of ``coupled`` takes part in an import cycle.

``lint-imports`` runs in ``make lint``; these tests also run it on the project and on a scratch
package with an injected cycle and an injected upward import, which it must refuse. Its
contracts skip imports under ``if TYPE_CHECKING:`` (``exclude_type_checking_imports``), so a
second check reads every ``import`` and ``from ... import`` statement of every module under
``coupled/`` from its syntax tree (type-only, function-local and conditional ones included) and
refuses any cycle among the modules; it bites on a scratch package whose only cycle is a
type-only import answered by a function-local one.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent))

needs_lint = pytest.mark.skipif(LINT is None, reason="import-linter is a test extra")


def _lint(cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run(
        [LINT, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@needs_lint
def test_the_project_keeps_every_contract():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def _scratch(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "scratch"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(text))
    (tmp_path / "setup.cfg").write_text(
        textwrap.dedent(
            """
            [importlinter]
            root_package = scratch
            exclude_type_checking_imports = true

            [importlinter:contract:layers]
            name = layers
            type = layers
            layers =
                scratch.top
                scratch.low

            [importlinter:contract:cycles]
            name = cycles
            type = acyclic_siblings
            ancestors = scratch
            """
        )
    )
    return tmp_path


@needs_lint
def test_an_injected_cycle_is_refused(tmp_path):
    root = _scratch(
        tmp_path,
        {
            "top": "import scratch.low\n",
            "low": "",
            "left": "import scratch.right\n",
            "right": "import scratch.left\n",
        },
    )
    done = _lint(root, extra_path=root)
    assert done.returncode != 0
    assert "cycles BROKEN" in done.stdout
    assert "layers KEPT" in done.stdout


@needs_lint
def test_an_upward_import_is_refused(tmp_path):
    root = _scratch(tmp_path, {"top": "", "low": "import scratch.top\n"})
    done = _lint(root, extra_path=root)
    assert done.returncode != 0
    assert "layers BROKEN" in done.stdout
    assert "scratch.low -> scratch.top" in done.stdout


# -- every import statement: the module graph from the syntax trees ----------------------------

Edge = tuple[Path, int]
"""Where an import statement is: file and line."""


def _modules(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``package_dir`` (links followed)."""
    found = {}
    for folder, _, names in os.walk(package_dir, followlinks=True):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = Path(folder) / name
            parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Dotted names an import statement may load (modules or names inside them)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" for alias in node.names]


def import_graph(package_dir: Path) -> dict[str, dict[str, Edge]]:
    """Module -> {imported module -> first statement}, over every import statement.

    Statements anywhere count: module level, inside functions and classes, under ``if
    TYPE_CHECKING:`` or ``try:``. ``from a.b import c`` imports ``a.b.c`` when that is a
    module, else ``a.b``; ``import a.b.c`` imports the longest of ``a.b.c``, ``a.b``, ``a`` that
    is a module of the package (its parent packages run first but are not counted, as
    import-linter does). Imports from outside the package are left out.
    """
    modules = _modules(package_dir)
    graph: dict[str, dict[str, Edge]] = {name: {} for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported(node, name, path.name == "__init__.py"):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].setdefault(target, (path, node.lineno))
    return graph


def strongly_connected(graph: dict[str, dict[str, Edge]]) -> list[list[str]]:
    """The groups of two or more modules that import each other (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def describe_cycle(group: list[str], graph: dict[str, dict[str, Edge]], root: Path) -> str:
    """One cycle through the group's first module, each step with the importing line."""
    first = group[0]
    came_from: dict[str, str] = {}
    frontier = [first]
    while frontier and first not in came_from:
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target in group and target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    path = [first]
    while True:
        path.append(came_from[path[-1]])
        if path[-1] == first:
            break
    path.reverse()
    steps = []
    for here, there in zip(path, path[1:], strict=False):
        file, line = graph[here][there]
        shown = file.relative_to(root) if file.is_relative_to(root) else file
        steps.append(f"{here} -> {there} ({shown}:{line})")
    return "; ".join(steps)


def cycle_report(package_dir: Path, allowed: tuple[frozenset[str], ...] = ()) -> list[str]:
    """One line per import cycle of the package not in ``allowed`` (exact module groups)."""
    graph = import_graph(package_dir)
    return [
        describe_cycle(group, graph, package_dir.parent)
        for group in strongly_connected(graph)
        if frozenset(group) not in allowed
    ]


KNOWN_CYCLES: tuple[frozenset[str], ...] = ()
"""Cycles tolerated for now: none (issue 20's engine cycles are gone: engines take RunSettings
and a board specification, and the self-triggered stepping uses the circuit engine's public
interface)."""


def test_no_import_cycle_counting_every_import_statement():
    graph = import_graph(ROOT / "coupled")
    assert "coupled.circuits.assembly" in graph and "coupled.analysis.report" in graph
    assert "coupled.training.run" in graph["coupled"]  # a type-only import is an edge
    cycles = cycle_report(ROOT / "coupled", KNOWN_CYCLES)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_cycle_check_bites_on_type_only_and_local_imports(tmp_path):
    root = _scratch(
        tmp_path,
        {
            "top": "from scratch import low\n",
            "low": "",
            "left": """
                from __future__ import annotations

                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from .right import Right
            """,
            "right": """
                class Right:
                    def left(self):
                        from scratch import left

                        return left
            """,
        },
    )
    cycles = cycle_report(root / "scratch")
    assert cycles == [
        "scratch.left -> scratch.right (scratch/left.py:7); "
        "scratch.right -> scratch.left (scratch/right.py:4)"
    ]
    if LINT is not None:  # the layer contracts alone do not see it
        done = _lint(root, extra_path=root)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "cycles KEPT" in done.stdout


def test_the_cycle_check_prints_a_longer_cycle_in_order(tmp_path):
    root = _scratch(
        tmp_path,
        {
            "a": "import scratch.b\n",
            "b": "def f():\n    from scratch.c import g\n",
            "c": "try:\n    import scratch.a as a\nexcept ImportError:\n    a = None\n",
            "d": "import scratch.a\n",
        },
    )
    assert cycle_report(root / "scratch") == [
        "scratch.a -> scratch.b (scratch/a.py:1); scratch.b -> scratch.c (scratch/b.py:2); "
        "scratch.c -> scratch.a (scratch/c.py:2)"
    ]
    assert (
        cycle_report(root / "scratch", (frozenset({"scratch.a", "scratch.b", "scratch.c"}),)) == []
    )
