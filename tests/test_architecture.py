"""The package's shape: data flows one way, and no module reaches back up the pipeline.

The imports are read from the source with ``ast`` (those inside functions too), so a
circle hidden behind a late import is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import faultlab

PACKAGE = Path(faultlab.__file__).parent

# Each layer may import the layers before it, never those after it.
LAYERS = ("diagnosis", "lab", "fuzzing", "reports", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The faultlab modules ``name`` imports, anywhere in its body."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # "from . import runner" imports the module faultlab.x.runner; "from .runner import run" the module.
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for follower in GRAPH[node]:
            if follower not in index:
                visit(follower)
                low[node] = min(low[node], low[follower])
            elif follower in stack:
                low[node] = min(low[node], index[follower])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    return groups


def test_no_module_imports_itself_back_through_others():
    assert cycles() == []


def test_the_cycle_finder_sees_a_circle():
    GRAPH["faultlab.diagnosis.runner"].add("faultlab.lab.drive")
    try:
        assert ["faultlab.diagnosis.runner", "faultlab.lab.drive"] in cycles()
    finally:
        GRAPH["faultlab.diagnosis.runner"].discard("faultlab.lab.drive")


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer(n)))
def test_a_layer_imports_only_the_layers_before_it(name):
    mine = LAYERS.index(layer(name))
    later = sorted(m for m in GRAPH[name] if layer(m) and LAYERS.index(layer(m)) > mine)
    assert later == [], f"{name} reaches forward into {later}"


def test_the_command_line_imports_its_commands_by_name():
    for name in (n for n in MODULES if n.startswith("faultlab.cli")):
        assert "import_module" not in MODULES[name].read_text(), name


# A results file renders from what it recorded: the reporters and 'faultlab report' never
# reach the catalog, whose case files are today's source, not the recorded one.
RENDER_FROM_THE_RECORD = sorted(n for n in MODULES if n.startswith("faultlab.reports")) + ["faultlab.cli.report"]
CASE_SOURCE = {"faultlab.lab.catalog", "faultlab.lab.lessons"}


def reachable(name: str) -> set[str]:
    """Every faultlab module that importing ``name`` imports, however indirectly."""
    seen, todo = set(), [name]
    while todo:
        for follower in GRAPH[todo.pop()] - seen:
            seen.add(follower)
            todo.append(follower)
    return seen


@pytest.mark.parametrize("name", RENDER_FROM_THE_RECORD)
def test_reporters_never_import_the_case_files(name):
    assert sorted(reachable(name) & CASE_SOURCE) == [], f"{name} reads today's cases, not the recorded ones"


def test_the_case_file_check_sees_an_indirect_import():
    GRAPH["faultlab.lab.results"].add("faultlab.lab.lessons")
    try:
        assert "faultlab.lab.lessons" in reachable("faultlab.reports.html")
    finally:
        GRAPH["faultlab.lab.results"].discard("faultlab.lab.lessons")
