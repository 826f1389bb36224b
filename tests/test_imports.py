"""The package's import graph: no cycles, and the directions docs/design.md draws.

Read from the source with ``ast`` (every import statement, those inside functions too: an
import put off to call time is still a dependency, and a cycle through one is a cycle that
only shows at run time; not those of an ``if __name__ == "__main__":`` block, which run
only in a script), so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "tagwire"


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":``, whose imports run only when the module is a script
    (``python -m``), never when it is imported: no cycle can go through them."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(getattr(c, "value", None) == "__main__" for c in node.test.comparators)
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` without the script-only blocks."""
    for child in ast.iter_child_nodes(node):
        if not _is_main_guard(child):
            yield child
            yield from _walk(child)


def _imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The package's modules that ``module`` imports (a name imported from a module counts
    as that module unless it is a submodule)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: set(_imported(m, path, known)) for m, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative so that a deep graph needs no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_finder_sees_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [frozenset({"a", "b", "c"})]


def test_no_import_cycle() -> None:
    """None at all, the last one (entities' names <-> places) included: both now take
    ``name_key`` from entities/keys.py."""
    edges = graph()
    assert "tagwire.entities.places" in edges["tagwire.entities.names"]  # explain's import
    assert [sorted(c) for c in cycles(edges)] == []


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _importers(prefix: str, of: str) -> list[str]:
    """Each module of ``prefix`` that imports one of ``of``, with what it imports."""
    return sorted(
        f"{m} -> {', '.join(sorted(t for t in targets if _within(t, of)))}"
        for m, targets in graph().items()
        if _within(m, prefix) and any(_within(t, of) for t in targets)
    )


# The store reads and writes rows: it may import these and its own modules, nothing of the
# flow's stages (dedup, entities, stories, ...: the callers in tagwire.ingest
# decide and hand it rows) nor of the embeddings' vectors (it keeps their bytes).
STORE_MAY_IMPORT = ("tagwire.types", "tagwire.errors", "tagwire.config", "tagwire.search")


def store_imports_outside(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(store module, what it imports) for every import of the store beyond its own modules
    and ``STORE_MAY_IMPORT``."""
    return sorted(
        (m, target)
        for m, targets in edges.items()
        if _within(m, "tagwire.store")
        for target in targets
        if not _within(target, "tagwire.store")
        and not any(_within(target, ok) for ok in STORE_MAY_IMPORT)
    )


def test_the_store_rule_sees_a_stage() -> None:
    edges = {
        "tagwire.store.writer": {"tagwire.store.schema", "tagwire.types", "tagwire.stories"},
        "tagwire.store.migrations": {"tagwire.entities.names"},
        "tagwire.ingest.pipeline": {"tagwire.stories", "tagwire.store"},
    }
    assert store_imports_outside(edges) == [
        ("tagwire.store.migrations", "tagwire.entities.names"),
        ("tagwire.store.writer", "tagwire.stories"),
    ]


def test_the_store_imports_no_stage() -> None:
    """Rows in, rows out: which copy survives, which entity a name is and what a story
    becomes are decided by the callers (docs/decisions.md, "Structure")."""
    assert store_imports_outside(graph()) == []


def test_workers_never_import_the_web_app() -> None:
    assert _importers("tagwire.workers", "tagwire.web") == []


def test_stages_import_no_front_end_nor_workers() -> None:
    """The flow's stages and the store know nothing of who shows or schedules them."""
    front = ("tagwire.web", "tagwire.workers", "tagwire.cli", "tagwire.service")
    stages = (
        "tagwire.fetch",
        "tagwire.feeds",
        "tagwire.extract",
        "tagwire.cleanup",
        "tagwire.dedup",
        "tagwire.entities",
        "tagwire.stories",
        "tagwire.categories",
        "tagwire.language",
        "tagwire.ingest",
        "tagwire.store",
        "tagwire.announce",
    )
    wrong = [hit for stage in stages for end in front for hit in _importers(stage, end)]
    assert wrong == []
