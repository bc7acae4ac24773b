"""The package's import graph has no loop, and its layers point one way: ``iam``
(the permissions as documents) sits below ``infra``, which no longer reaches up
into ``staging``. Read from the source text (every ``import`` and ``from``,
lazy ones inside functions included), not from what happens to be loaded.

One edge is left out, by name: the IPython extension hook of the root package
(``%load_ext sparkify_nb`` imports ``sparkify_nb`` and then calls its
``load_ipython_extension``, which loads the ``%%sql`` magic). Every module
imports the root package for ``Progress`` and ``SparkifyError``, so the hook
would close a loop through everything; it is an entry point, run after every
import is done, like ``cli``."""

from __future__ import annotations

import ast
from pathlib import Path

import sparkify_nb

PACKAGE = Path(sparkify_nb.__file__).parent
ENTRY_POINT_HOOKS = {("sparkify_nb", "load_ipython_extension")}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        here = importer.split(".") if is_package else importer.split(".")[:-1]
        here = here[:len(here) - (node.level - 1)]
        base = ".".join(here + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _targets(candidates: list[str], node: ast.AST, files: dict[str, Path]) -> set[str]:
    """``from pkg import mod`` imports the module ``pkg.mod`` (its edge goes there, not to ``pkg``);
    ``from pkg import name`` imports ``pkg``."""
    if isinstance(node, ast.ImportFrom):
        base, names = candidates[0], candidates[1:]
        modules = {n for n in names if n in files}
        return modules | ({base} if len(modules) < len(names) and base in files else set())
    return {c for c in candidates if c in files}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """``{module: the sparkify_nb modules it imports}``, for every module under ``root``."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        tree = ast.parse(path.read_text(), str(path))
        for hook in [n for n in tree.body if isinstance(n, ast.FunctionDef) and (name, n.name) in ENTRY_POINT_HOOKS]:
            tree.body.remove(hook)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                candidates = _resolve(name, path.name == "__init__.py", node)
            else:
                continue
            targets |= _targets(candidates, node, files) - {name}
        graph[name] = targets
    return graph


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _described(groups: list[list[str]], graph: dict[str, set[str]]) -> str:
    return "\n".join(", ".join(g) + "\n  " + "; ".join(f"{a} -> {b}" for a in g for b in sorted(graph[a]) if b in g)
                     for g in groups)


def test_no_module_of_the_package_imports_itself_round_a_loop():
    graph = import_graph()
    assert not loops(graph), "import loops:\n" + _described(loops(graph), graph)


def test_the_permission_documents_import_nothing_that_calls_aws():
    graph = import_graph()
    reached = {t for m, targets in graph.items() if m.startswith("sparkify_nb.iam") for t in targets}
    assert sorted(t for t in reached if not t.startswith("sparkify_nb.iam")) == [
        "sparkify_nb", "sparkify_nb.config", "sparkify_nb.config_names", "sparkify_nb.s3uri"]


def test_infra_does_not_import_the_staging_package():
    graph = import_graph()
    assert sorted((m, t) for m, targets in graph.items() if m.startswith("sparkify_nb.infra")
                  for t in targets if t.startswith("sparkify_nb.staging")) == []


def test_a_loop_is_found_and_named(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from . import b\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from .a import x  # a lazy import closes the loop too\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    graph = import_graph(tmp_path / "pkg")
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert loops(graph) == [["pkg.a", "pkg.b"]]
    assert "pkg.a -> pkg.b; pkg.b -> pkg.a" in _described(loops(graph), graph)
