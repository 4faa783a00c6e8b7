"""A harness's declaration, and finding harnesses without running them.

Each harness declares itself next to its code, as a case does::

    TARGET = FuzzTarget(mode="lifetime", cwe="CWE-416", expect="heap-use-after-free", sanitizer="asan")

The parent reads that line with ``ast`` instead of importing the harness: importing it
would import atheris and load an instrumented library, which belong in the child only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..lab import build
from ..diagnosis.kinds import KINDS, MODES
from .coverage import FuzzSetupError

SANITIZERS = ("none", "asan")


class TargetError(FuzzSetupError):
    """A harness cannot be found or its declaration is wrong."""


@dataclass(frozen=True)
class FuzzTarget:
    mode: str  # the failure mode the planted bug belongs to
    cwe: str
    expect: str  # the kind the broken variant's planted bug comes out as
    sanitizer: str = "none"  # asan: the library is built with ASan and clang's ASan runtime is preloaded
    timeout: float = 5.0  # per input (libFuzzer's -timeout): a slower input is a hang
    max_len: int = 512
    options: tuple[str, ...] = ()  # further libFuzzer flags
    name: str = field(default="", compare=False)  # filled in from the file: its stem
    path: str = field(default="", compare=False)

    def __post_init__(self):
        problems = []
        if self.mode not in MODES:
            problems.append(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.expect not in KINDS or self.expect == "ok":
            problems.append(f"expect {self.expect!r} is not a fault kind")
        if self.sanitizer not in SANITIZERS:
            problems.append(f"sanitizer must be one of {', '.join(SANITIZERS)}")
        if not self.cwe.startswith("CWE-"):
            problems.append(f"cwe {self.cwe!r} must look like CWE-416")
        if problems:
            raise TargetError(f"{self.path or 'FuzzTarget'}: " + "; ".join(problems))


def fuzz_root() -> Path:
    return build.project_root() / "fuzz"


def load(path: str | Path) -> FuzzTarget:
    """The ``TARGET = FuzzTarget(...)`` of a harness file; its arguments must be literals."""
    path = Path(path).resolve()
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except (OSError, SyntaxError) as exc:
        raise TargetError(f"cannot read harness {path}: {exc}") from None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["TARGET"]
                and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "FuzzTarget"):
            try:
                kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.value.keywords}
            except ValueError:
                raise TargetError(f"{path}: FuzzTarget(...) takes literal keyword arguments only") from None
            try:
                target = FuzzTarget(**kwargs, path=str(path))
            except TypeError as exc:
                raise TargetError(f"{path}: {exc}") from None
            return replace(target, name=path.stem)
    raise TargetError(f"{path} declares no TARGET = FuzzTarget(...)")


def discover(root: str | Path | None = None) -> list[FuzzTarget]:
    """Every harness of ``fuzz/``: its ``*.py`` files that declare a TARGET, by name."""
    root = Path(root) if root else fuzz_root()
    return [load(p) for p in sorted(root.glob("*.py")) if "TARGET = FuzzTarget(" in p.read_text()]


def find(name: str) -> FuzzTarget:
    """A harness by name (``fuzz/<name>.py``) or by the path of any harness file."""
    if name.endswith(".py"):
        if not Path(name).is_file():
            raise TargetError(f"no harness file {name}")
        return load(name)
    candidate = fuzz_root() / f"{name}.py"
    if candidate.is_file():
        return load(candidate)
    known = ", ".join(t.name for t in discover()) or "none"
    raise TargetError(f"no fuzz target {name!r}; the targets are: {known}")
