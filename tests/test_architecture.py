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
    assert "faultlab.diagnosis.runner" in GRAPH["faultlab.lab.execute"]  # execute runs children
    GRAPH["faultlab.diagnosis.runner"].add("faultlab.lab.execute")  # and now the runner would ask execute back
    try:
        assert any({"faultlab.diagnosis.runner", "faultlab.lab.execute"} <= set(group) for group in cycles())
    finally:
        GRAPH["faultlab.diagnosis.runner"].discard("faultlab.lab.execute")


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


# The child's set-up is the only place that may change a process's environment: the runner
# builds a child's environment as a new dict, and a forked child takes its run's values.
CHILD_SET_UP = {"faultlab.diagnosis.runner", "faultlab.lab.isolation.server"}


def environment_writes(name: str) -> list[int]:
    """Lines of ``name`` that assign to, update or delete from ``os.environ`` (or call putenv)."""
    lines = []
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        writes = any(isinstance(t, ast.Subscript) and ast.unparse(t.value) == "os.environ" for t in targets)
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            writes = called in ("os.putenv", "os.unsetenv") or called.startswith("os.environ.") and \
                called.rsplit(".", 1)[1] in ("update", "setdefault", "pop", "popitem", "clear")
        if writes:
            lines.append(node.lineno)
    return lines


def test_only_the_child_set_up_writes_the_environment():
    writers = {name: lines for name in MODULES if name not in CHILD_SET_UP and (lines := environment_writes(name))}
    assert writers == {}


def test_the_environment_check_sees_a_write(tmp_path, monkeypatch):
    module = tmp_path / "writer.py"
    module.write_text("import os\nos.environ['FAULTLAB_VARIANT'] = 'fixed'\nos.environ.update(A='1')\n")
    monkeypatch.setitem(MODULES, "faultlab.writer", module)
    assert environment_writes("faultlab.writer") == [2, 3]


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
