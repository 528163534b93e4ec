"""The package graph of ``provisioning`` has no cycle and follows the layers below.

Each top-level package (or module) of ``provisioning`` may import only packages of a lower
layer: never one of its own layer, never one above. A new package gets a line here, placed
above everything it imports (README, "Cómo agregar un flujo"). Imports are read from the
source with ``ast`` (also those inside functions), so a lazy import does not hide an edge.

Run it as a script to print the graph: ``.venv/bin/python tests/test_package_graph.py``.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "provisioning"

# Lowest first. Pure helpers, then configuration, the infrastructure, the shared domains and
# the workflows, in the order a request walks them; the composers on top.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("timeutil", "errors", "wording", "textcheck", "curp", "naming"),
    ("spreadsheet",),  # CSV out, XLSX in: its refusals are errors.ValidationError
    ("config",),
    ("db", "crypto", "workdays", "directory"),  # directory: the LDAP adapter, values only
    ("counters", "web", "audit"),
    ("jobs", "catalogs"),
    ("notifications", "staff"),  # notifications: a leaf, told whom to write by the caller
    ("people",),
    ("account_requests",),
    ("approvals",),
    ("oficios",),
    ("handoff",),
    ("it", "documents"),
    ("reconciliation",),  # the imported directory: below the person's record page
    ("lifecycle",),
    ("reviews",),  # access review campaigns: revocations become lifecycle bajas
    ("roster",),  # the staff roster compared with people; its lines open lifecycle forms
    ("preregistration", "retention", "api", "dashboard", "auditor",
     "observability"),  # observability: health probes, /metrics, JSON logs
    ("privacy", "applicant"),  # applicant: tells the person where their pre-registration is
    ("records",),
    ("models", "demo"),
    ("cli",),
)


def units() -> set[str]:
    """Every top-level package and module of provisioning (but its __init__)."""
    return {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"} | {
        p.parent.name for p in ROOT.glob("*/__init__.py")}


def _module(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _targets(node: ast.AST, here: list[str], is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = here if is_package else here[:-1]
        base = base[: len(base) - node.level + 1]
        name = ".".join(base + ([node.module] if node.module else []))
    else:
        name = node.module or ""
    if name == "provisioning":
        return [f"provisioning.{alias.name}" for alias in node.names]
    return [name]


def edges() -> dict[str, dict[str, set[str]]]:
    """{importer: {imported: files that make the edge}} between top-level units."""
    known = units()
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(ROOT.rglob("*.py")):
        here = _module(path)
        if len(here) < 2:
            continue  # provisioning/__init__.py: the app factory wires everything
        source = here[1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, here, path.name == "__init__.py"):
                parts = target.split(".")
                if parts[0] == "provisioning" and len(parts) > 1 and parts[1] in known \
                        and parts[1] != source:
                    found[source][parts[1]].add(str(path.relative_to(ROOT.parent)))
    return found


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(graph) | {n for targets in graph.values() for n in targets}):
        if node not in index:
            visit(node)
    return found


def layer_of() -> dict[str, int]:
    return {name: level for level, names in enumerate(LAYERS) for name in names}


def test_every_package_has_a_layer() -> None:
    placed = layer_of()
    assert len(placed) == sum(len(names) for names in LAYERS), "a unit listed twice"
    assert units() - set(placed) == set(), "new packages need a line in LAYERS"
    assert set(placed) - units() == set(), "LAYERS names a package that no longer exists"


def test_no_package_cycle() -> None:
    graph = edges()
    assert cycles(graph) == []


def test_packages_import_only_lower_layers() -> None:
    placed = layer_of()
    wrong = [f"{source} -> {target} ({', '.join(sorted(files))})"
             for source, targets in sorted(edges().items())
             for target, files in sorted(targets.items())
             if placed[target] >= placed[source]]
    assert wrong == []


def test_the_check_sees_a_cycle_and_an_upward_import() -> None:
    # The checks above must be able to fail: a made-up graph with both faults.
    graph = {"audit": {"staff": {"audit/views.py"}}, "staff": {"audit": {"staff/x.py"}}}
    assert cycles(graph) == [["audit", "staff"]]
    placed = layer_of()
    assert placed["staff"] > placed["audit"]


def test_only_the_adapter_reaches_ldap3() -> None:
    reaching = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = _targets(node, _module(path), path.name == "__init__.py")
            if any(n == "ldap3" or n.startswith("ldap3.") for n in names):
                reaching.add(_module(path)[1])
    assert reaching == {"directory"}


if __name__ == "__main__":
    graph = edges()
    placed = layer_of()
    for source in sorted(graph, key=lambda s: (-placed.get(s, 0), s)):
        print(f"{source} -> {', '.join(sorted(graph[source]))}")
    print("cycles:", cycles(graph) or "none")
    sys.exit(1 if cycles(graph) else 0)
