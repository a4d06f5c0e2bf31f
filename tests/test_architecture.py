"""The house rules, checked on the source with ast (no imports run): no import cycles between modules, and every
dependency points one way, between apps (assets <- markets <- forecasting) and between the forecasting rooms
(README, Architecture)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("assets", "markets", "forecasting")

# The forecasting rooms, lowest first: a room may import the rooms before it, never those after it. The shared,
# room-free parts (maths, common, the API plumbing in forecasting/api) may be imported by any room and import none.
ROOMS = ("accounts", "forecasts", "discussion", "resolution", "scoring", "conditional", "groups", "notifications", "pipeline",
         "questions", "search")
SHARED = ("maths", "common", "api")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules of this project that ``path`` imports (at any depth: a function-level import is an edge too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:  # `from pkg import module` depends on the module, `from mod import name` on mod
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module)
    return {m for m in found if m.split(".")[0] in APPS}


def _files() -> dict[str, Path]:
    files = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                files[_module_name(path)] = path
    return files


MODULES = _files()


def _graph() -> dict[str, set[str]]:
    files = MODULES
    graph = {}
    for name, path in files.items():
        graph[name] = {m for m in _imports(path, name) if m in files and m != name}
    return graph


GRAPH = _graph()


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "forecasting" and parts[1] in ROOMS + SHARED else None


def test_the_graph_covers_the_rooms():
    rooms = {_room(m) for m in GRAPH} - {None}
    assert set(ROOMS) <= rooms


def test_no_import_cycles():
    """Tarjan's strongly connected components: any component of more than one module is a cycle."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize(
    "lower, higher", [("assets", "markets"), ("assets", "forecasting"), ("markets", "forecasting")]
)
def test_apps_depend_one_way(lower, higher):
    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if m.split(".")[0] == lower
                   for t in targets if t.split(".")[0] == higher)
    assert wrong == []


def test_rooms_depend_one_way():
    """forecasts <- resolution <- scoring <- notifications <- pipeline <- questions, accounts under all; the shared
    parts import no room; a room's code never goes through the forecasting.models aggregate."""
    wrong = []
    for module, targets in GRAPH.items():
        here = _room(module)
        if here is None:
            continue
        for target in targets:
            there = _room(target)
            if target == "forecasting.models":
                wrong.append(f"{module} -> {target} (import from the room's models module)")
            elif there is None or there == here:
                continue
            elif here in SHARED and there not in SHARED:
                wrong.append(f"{module} -> {target} (shared code imports a room)")
            elif here in ROOMS and there in ROOMS and ROOMS.index(there) > ROOMS.index(here):
                wrong.append(f"{module} -> {target} ({here} may not import {there})")
    assert wrong == []


def test_services_never_import_tasks():
    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if ".services" in m or ".selectors" in m
                   for t in targets if t.endswith(".tasks") or ".tasks." in t)
    assert wrong == []


def test_maths_never_imports_django():
    wrong = []
    for path in (ROOT / "forecasting" / "maths").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("django",) + APPS[:2]]
    assert wrong == []


def test_no_forecasting_module_past_the_split_point():
    """The guide's ~400 lines: past it, a module becomes a package (the maths is split by subject). Migrations are
    generated, so they do not count."""
    limit = 420
    long = sorted(f"{p.relative_to(ROOT)}: {n}" for p in (ROOT / "forecasting").rglob("*.py")
                  if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > limit)
    assert long == []
