"""The catalog: each case declares its bug, its fix and its expected diagnosis in one place.

A case file ``cases/<mode>/case_<what>.py`` holds one or more ``Case`` objects and their
drivers, compiler-rt style: the id, mode, CWE, the sanitizer configurations with the
kind each must produce for the broken variant (an ``Expect``, which can also pin the
frame and the access, like compiler-rt's CHECK lines), and the broken and fixed drivers,
side by side. The fixed variant must come out ``ok`` under every configuration.

A case's ``runtime`` is the host side of its boundary. A ``cpython`` case's drivers are
Python functions that the drive calls in the child. Any other runtime's drivers are
*command makers*: called in faultlab's own process with the run configuration, they build
what they need into the cache and return the argv of the child itself (a ``java`` class, a
Rust program), which the runner runs like any command.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..diagnosis import configurations
from ..diagnosis.configurations import Configuration
from ..diagnosis.kinds import MODES
from .expect import Expect, as_expect
from .native import Library
from .results import FIX_PLACES, RUNTIMES, VARIANTS


class CatalogError(Exception):
    """A case declaration is wrong or a case cannot be found."""


@dataclass
class Case:
    id: str  # "mode/what-happens", kebab case
    mode: str
    cwe: str
    title: str  # one line: what happens
    explanation: str  # a paragraph: the runtime rule broken, the mechanism, the fix
    expect: dict[str, Expect]  # sanitizer name -> the broken variant's Expect (a bare kind string is accepted)
    fix_in: str = "binding"
    libraries: tuple[Library, ...] = ()
    timeout: float = 30.0
    requires: tuple[str, ...] = ()  # toolchain pieces: "jdk", "gdb", ...
    fresh_interpreter: bool = False  # needs spawn even where a fork server could serve it
    runtime: str = "cpython"  # the host side of the boundary, one of RUNTIMES
    sources: tuple[str, ...] = ()  # the program's own sources under native/ (Java, Rust), beside its libraries
    source: str = ""
    drivers: dict[str, Callable] = field(default_factory=dict)

    def __post_init__(self):
        self.expect = {san: as_expect(declared) for san, declared in self.expect.items()}
        mode_prefix = self.id.split("/")[0]
        problems = []
        if self.mode not in MODES or self.mode == "unknown":
            problems.append(f"mode {self.mode!r} is not one of {', '.join(MODES[:-1])}")
        if mode_prefix != self.mode:
            problems.append(f"id must start with its mode {self.mode!r}/")
        if not self.cwe.startswith("CWE-"):
            problems.append(f"cwe {self.cwe!r} must look like CWE-416")
        if self.runtime not in RUNTIMES:
            problems.append(f"runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)}")
        if self.fix_in not in FIX_PLACES:
            problems.append(f"fix_in must be one of {', '.join(FIX_PLACES)}")
        for san, expect in self.expect.items():
            if san not in configurations.NAMES:
                problems.append(f"unknown sanitizer {san!r}")
            problems += expect.problems()
        if not self.expect:
            problems.append("expect names no sanitizer configuration")
        if problems:
            raise CatalogError(f"case {self.id}: " + "; ".join(problems))

    @property
    def runs_a_command(self) -> bool:
        """Whether the child is a program of another runtime, whose argv the drivers make, not the drive."""
        return self.runtime != "cpython"

    def broken(self, fn: Callable) -> Callable:
        self.drivers["broken"] = fn
        return fn

    def fixed(self, fn: Callable) -> Callable:
        self.drivers["fixed"] = fn
        return fn

    def driver(self, variant: str) -> Callable:
        if variant not in VARIANTS:
            raise CatalogError(f"variant must be broken or fixed, not {variant!r}")
        try:
            return self.drivers[variant]
        except KeyError:
            raise CatalogError(f"case {self.id} has no {variant} driver") from None

    def expected(self, variant: str, sanitizer: str) -> Expect:
        return Expect("ok") if variant == "fixed" else self.expect[sanitizer]

    def build(self, configuration: str | Configuration, variant: str) -> None:
        configuration = configurations.resolve(configuration)
        for library in self.libraries:
            library.path(configuration, variant)

    def argv(self, variant: str, configuration: str | Configuration | None = None) -> list[str]:
        """The child's command: the drive for a ``cpython`` case; for any other runtime, what the
        variant's command maker returns for ``configuration`` (built now if not cached)."""
        if not self.runs_a_command:
            return case_command(self.source, self.id, variant)
        argv = self.driver(variant)(configurations.resolve(configuration or "none"))
        if not argv or not all(isinstance(a, (str, Path)) for a in argv):
            raise CatalogError(f"case {self.id}: the {variant} command maker must return an argv, not {argv!r}")
        return [str(a) for a in argv]


def case_command(case_file: str, case_id: str, variant: str) -> list[str]:
    """The command that runs one case variant in a fresh interpreter (``faultlab.lab.drive``)."""
    return [sys.executable, "-m", "faultlab.lab.drive", str(case_file), case_id, variant]


def _import_file(path: Path):
    name = "faultlab_case_" + "_".join(path.with_suffix("").parts[-3:]).replace("-", "_")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cases_in(path: str | Path) -> list[Case]:
    module = _import_file(Path(path).resolve())
    found = [v for v in vars(module).values() if isinstance(v, Case)]
    for case in found:
        case.source = str(Path(path).resolve())
        missing = [v for v in VARIANTS if v not in case.drivers]
        if missing:
            raise CatalogError(f"case {case.id} in {path} has no {' or '.join(missing)} driver")
    return found


def load_case(path: str | Path, case_id: str) -> Case:
    for case in cases_in(path):
        if case.id == case_id:
            return case
    raise CatalogError(f"no case {case_id!r} in {path}")


def case_files(root: str | Path | None = None) -> list[Path]:
    from .build import project_root

    root = Path(root) if root else project_root() / "cases"
    return sorted(root.rglob("case_*.py"))


def discover(root: str | Path | None = None) -> list[Case]:
    cases = [c for f in case_files(root) for c in cases_in(f)]
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CatalogError(f"duplicate case ids: {', '.join(sorted(dupes))}")
    return sorted(cases, key=lambda c: c.id)


def find(case_id: str, root: str | Path | None = None) -> Case:
    for case in discover(root):
        if case.id == case_id:
            return case
    raise CatalogError(f"no case {case_id!r}; 'faultlab list' shows the catalog")
