"""Running faultlab and pytest as a user does, in a child, and saying what happened when a test fails.

One helper per program: ``faultlab(root, *args)`` for the command line, ``run_pytest(root, *args)``
for ``pytest cases/`` over a test project (the plugin's own tests use pytester instead),
and ``fail_message(proc)`` for the command, its status and both streams.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


PROJECT = Path(__file__).resolve().parents[1]


def env_for(root: Path, **extra: str) -> dict:
    """The environment of faultlab run over ``root``: a test project keeps its build cache inside itself;
    the real project uses the user's cache, never a folder of the checkout."""
    own = {} if Path(root).resolve() == PROJECT else {"FAULTLAB_ROOT": str(root), "FAULTLAB_CACHE": str(Path(root) / "cache")}
    env = dict(os.environ, **own, **extra)
    for name in ("NO_COLOR", "FORCE_COLOR", "CI"):
        if name not in extra:
            env.pop(name, None)
    return env


def run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "cases/", "-p", "no:cacheprovider", *args], cwd=root,
                          env=env_for(root), capture_output=True, text=True, errors="backslashreplace", timeout=300)


def faultlab(root: Path | None, *args: str, timeout: float = 300, errors: str = "backslashreplace",
             **env: str) -> subprocess.CompletedProcess:
    """``faultlab ARGS`` as a user runs it, in ``root`` (a test project) or, with None, the real project.

    ``errors="surrogateescape"`` keeps every byte the command wrote visible as itself.
    """
    environ = env_for(root, **env) if root else {**{k: v for k, v in os.environ.items()
                                                     if k not in ("NO_COLOR", "FORCE_COLOR", "CI")}, **env}
    return subprocess.run([sys.executable, "-m", "faultlab", *args], cwd=root or Path(__file__).parents[1],
                          env=environ, capture_output=True, text=True, errors=errors, timeout=timeout)


def fail_message(proc: subprocess.CompletedProcess) -> str:
    """What a failing test shows: the command, its status and both streams."""
    return (f"command {' '.join(map(str, proc.args))} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}\n---")
