"""Imports run one way (DESIGN.md, "The third wave"): no cycles among ganzoo's modules, and no layer imports
the layers above it.

The modules are parsed with ``ast``, never imported. Every ``import ganzoo…`` and ``from ganzoo… import …`` is an
edge, at module level and inside functions alike (a function-level import only delays a cycle, it does not
break it); ``from ganzoo.x import y`` is an edge to ``ganzoo.x.y`` when that module (or package) exists, else to
``ganzoo.x``. A package's ``__init__`` is a node of its own (``ganzoo.metrics``); its edges to its own submodules
are left out, as its re-exports (``ganzoo.metrics`` → ``ganzoo.metrics.registry``) and ``ganzoo/__init__.py``'s
lazy ``load``/``list_models`` (``ganzoo`` → ``ganzoo.models.generative``, ``ganzoo.zoo``) are the package
presenting its own parts, not a layer reaching up. All of ``ganzoo/__init__.py``'s imports are of that kind, so
no edge leaves ``ganzoo``; edges into it stay (``ganzoo.models.generative``'s ``from ganzoo import __version__``),
and ``from ganzoo import losses`` is an edge to ``ganzoo.losses``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ganzoo"

LOWER = ("ganzoo.models", "ganzoo.nets", "ganzoo.data", "ganzoo.losses")
MIDDLE = ("ganzoo.metrics", "ganzoo.callbacks")
COMMANDS = ("ganzoo.commands", "ganzoo.sample", "ganzoo.translate", "ganzoo.cli")


def module_files() -> dict[str, Path]:
    """Dotted module name → file; a package is named by its ``__init__.py``."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The nearest existing module ``name`` or one of its parents is (``ganzoo.x.CONSTANT`` → ``ganzoo.x``)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The ganzoo modules ``module`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from its package (a package's __init__ is its own package)
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for target in targets:
            if target == "ganzoo" or target.startswith("ganzoo."):
                resolved = resolve(target, modules)
                if resolved is not None and resolved != module:
                    found.add(resolved)
    if is_package:  # a package's own parts: its re-exports and lazy loaders
        found = {m for m in found if not m.startswith(module + ".")}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle (its modules, the first repeated at the end), or None: a depth-first search."""
    nodes = set(graph)
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, set()) & nodes):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(nodes):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per knot of mutually reachable modules (the strongly connected components), so a failure
    names every circle at once, not only the first."""
    cycles, left = [], dict(graph)
    while (cycle := find_cycle(left)) is not None:
        knot = {m for m in _reachable(left, cycle[0]) if cycle[0] in _reachable(left, m)}
        cycles.append(cycle)
        left = {m: targets - knot for m, targets in left.items() if m not in knot}
    return cycles


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, frontier = {start}, [start]
    while frontier:
        frontier = [n for m in frontier for n in graph.get(m, set()) if n not in seen]
        seen.update(frontier)
    return seen


def in_layer(module: str, layer: tuple[str, ...]) -> bool:
    return any(module == top or module.startswith(top + ".") for top in layer)


def test_the_graph_sees_function_level_relative_and_from_imports(tmp_path):
    graph = import_graph()
    assert graph["ganzoo.metrics"] == set() and graph["ganzoo"] == set()  # a package's own parts are left out
    assert "ganzoo.losses" in graph["ganzoo.regularizers"]  # from ganzoo import losses → the module
    source = tmp_path / "probe.py"
    source.write_text(
        "import ganzoo.data as data\nfrom ganzoo.metrics.fid import fid\nfrom . import registry\n"
        "def f():\n    from ganzoo import losses, __version__\n    import torch\n"
    )
    modules = module_files()
    assert imported_modules("ganzoo.metrics.probe", source, modules) == {
        "ganzoo.data", "ganzoo.metrics.fid", "ganzoo.metrics.registry", "ganzoo.losses", "ganzoo"}  # fmt: skip
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert all_cycles({"a": {"b"}, "b": {"a", "c"}, "c": {"d"}, "d": {"c"}}) == [["a", "b", "a"], ["c", "d", "c"]]


def test_ganzoo_imports_have_no_cycles():
    cycles = all_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in cycles)


def test_imports_run_one_way_through_the_layers():
    upward = []
    for module, targets in import_graph().items():
        if in_layer(module, LOWER):
            upward += [f"{module} → {t}" for t in sorted(targets) if in_layer(t, MIDDLE + COMMANDS)]
        if in_layer(module, MIDDLE):
            upward += [f"{module} → {t}" for t in sorted(targets) if in_layer(t, COMMANDS)]
    layering = "leaves ← nets, data ← models ← metrics, callbacks ← commands, translate ← cli"
    assert not upward, f"imports against the layering ({layering}):\n" + "\n".join(upward)
