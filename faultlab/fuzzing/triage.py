"""From a crashing input to a finding: replay it under the runner, classify it, store it once.

libFuzzer's own crash report is not the verdict: every input it saved is replayed in a
fresh child through ``faultlab.diagnosis.runner`` (watchdog, stacks, group kill) and classified like
any other program. Findings are deduplicated by the verdict's signature and stored as
``fuzz/artifacts/<target>/<signature>/`` (``input``, ``verdict.json``, ``finding.json``,
``reproduce.txt``); the directory appears by one atomic rename, so two jobs that find the
same bug at once store it once, and a reader never sees half an artifact.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..lab import build
from ..diagnosis import runner
from ..diagnosis.classify import classify
from ..diagnosis.kinds import KINDS
from ..lab.catalog import VARIANTS
from ..diagnosis.verdict import Verdict
from .coverage import FuzzSetupError, runtime
from .target import FuzzTarget, find

# A replay that takes this much longer than the target's per-input timeout is a hang;
# the watchdog then collects every thread's stack (a deadlock shows as all of them blocked).
REPLAY_GRACE_S = 5.0


def artifacts_root() -> Path:
    return build.project_root() / "fuzz" / "artifacts"


@dataclass(frozen=True)
class Finding:
    """One crashing input after triage; ``new`` when its signature was not stored before."""

    target: str
    verdict: Verdict
    artifact: Path
    new: bool
    expected: str  # the kind the target declares for its planted bug

    def to_dict(self) -> dict:
        return {"kind": self.verdict.kind, "signature": self.verdict.signature, "summary": self.verdict.summary,
                "artifact": str(self.artifact), "new": self.new, "as_declared": self.verdict.kind == self.expected}


def replay_argv(target: FuzzTarget, input_path: Path, *extra: str) -> list[str]:
    # -rss_limit_mb=0: no RSS watcher thread, so a deadlocked replay has only blocked threads.
    return [sys.executable, target.path, "-rss_limit_mb=0", *extra, str(input_path)]


def replay(target: FuzzTarget, input_path: Path, *, variant: str, native_coverage: bool = True) -> Verdict:
    """Run the harness on one input in a fresh child and classify what happened; under ASan its report is symbolized warm."""
    rt = runtime(target.sanitizer, native_coverage=native_coverage)
    # Its report unsymbolized in the child, symbolized by faultlab's warm llvm-symbolizer (report_symbols).
    config = dataclasses.replace(rt.configuration, parent_symbolizes=rt.sanitizer == "asan")
    outcome = runner.run(replay_argv(target, input_path), timeout=target.timeout + REPLAY_GRACE_S,
                         sanitizer=config, env=rt.child_env(variant))
    return classify(outcome)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def reproduce_command(artifact: Path) -> str:
    return f"faultlab fuzz --reproduce {_relative(artifact)}"


def store(target: FuzzTarget, data: bytes, verdict: Verdict, *, variant: str, native_coverage: bool,
          root: Path | None = None) -> Finding:
    """Store ``data`` under its verdict's signature, unless that signature is stored already."""
    folder = (root or artifacts_root()) / target.name
    final = folder / verdict.signature
    if final.exists():
        return Finding(target.name, verdict, final, False, target.expect)
    folder.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder))
    (incoming / "input").write_bytes(data)
    (incoming / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=1) + "\n")
    (incoming / "finding.json").write_text(json.dumps({
        "target": target.name, "harness": target.path, "variant": variant, "native_coverage": native_coverage,
        "expected": target.expect, "input_sha1": hashlib.sha1(data).hexdigest(), "input_size": len(data),
        "found": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }, indent=1) + "\n")
    (incoming / "reproduce.txt").write_text(reproduce_command(final) + "\n")
    try:
        os.rename(incoming, final)  # atomic; fails if another job stored this signature first
    except OSError:
        shutil.rmtree(incoming, ignore_errors=True)
        return Finding(target.name, verdict, final, False, target.expect)
    return Finding(target.name, verdict, final, True, target.expect)


def triage(target: FuzzTarget, input_path: Path, *, variant: str, native_coverage: bool,
           root: Path | None = None) -> Finding | Verdict:
    """The finding for a crashing input, or the ``ok`` verdict when the replay did not crash."""
    verdict = replay(target, input_path, variant=variant, native_coverage=native_coverage)
    if verdict.ok:
        return verdict
    return store(target, input_path.read_bytes(), verdict, variant=variant, native_coverage=native_coverage,
                 root=root)


@dataclass(frozen=True)
class Artifact:
    """A stored finding, read back: where it is, what it was, and the target that made it."""

    path: Path
    target: FuzzTarget
    variant: str
    native_coverage: bool
    verdict: Verdict

    @classmethod
    def open(cls, path: str | Path) -> "Artifact":
        """Read a stored finding as data: a downloaded artifact names its target, it never points at code.

        The harness is found by the target's name among ``fuzz/``'s (or faultlab's own probe), whatever ``finding.json``
        says its path was; every field is checked (type, size) and a bad one is a one-line error.
        """
        path = Path(path)
        meta = _json_object(path / "finding.json")
        data = _json_object(path / "verdict.json")
        name = _field(meta, "finding.json", "target", str)
        if not _TARGET_NAME.fullmatch(name):
            raise FuzzSetupError(f"{path / 'finding.json'}: target {name[:80]!r} is not a fuzz target's name")
        variant = _field(meta, "finding.json", "variant", str)
        if variant not in VARIANTS:
            raise FuzzSetupError(f"{path / 'finding.json'}: variant {variant[:80]!r} is not one of {', '.join(VARIANTS)}")
        native_coverage = meta.get("native_coverage", True)
        if not isinstance(native_coverage, bool):
            raise FuzzSetupError(f"{path / 'finding.json'}: native_coverage must be true or false")
        for key in ("kind", "mode", "summary", "signature"):
            _field(data, "verdict.json", key, str)
        if data["kind"] not in KINDS:
            raise FuzzSetupError(f"{path / 'verdict.json'}: kind {data['kind'][:80]!r} is not a verdict kind")
        try:
            verdict = Verdict.from_dict(data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise FuzzSetupError(f"{path / 'verdict.json'} is not a verdict: {exc}") from None
        return cls(path, find(str(SHIPPED[name])) if name in SHIPPED else find(name), variant, native_coverage,
                   verdict)

    @property
    def input(self) -> Path:
        return self.path / "input"


_TARGET_NAME = re.compile(r"[a-z0-9_][a-z0-9_-]{0,99}")  # fuzz/<name>.py: no path, no "..", no suffix
# Harnesses faultlab ships itself, beside fuzz/'s: the probe ``faultlab doctor`` runs.
SHIPPED = {"probe": Path(__file__).with_name("probe.py")}
JSON_LIMIT = 1 << 20  # bytes: a finding.json or verdict.json faultlab writes is a few kilobytes


def _json_object(path: Path) -> dict:
    """The JSON object in ``path``, read at most ``JSON_LIMIT`` bytes of it."""
    try:
        with open(path, "rb") as f:
            raw = f.read(JSON_LIMIT + 1)
    except OSError as exc:
        raise FuzzSetupError(f"{path.parent} is not a fuzz artifact: cannot read {path.name}: {exc.strerror}") from None
    if len(raw) > JSON_LIMIT:
        raise FuzzSetupError(f"{path} is larger than {JSON_LIMIT} bytes: not a fuzz artifact")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser's stack
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).splitlines()[0]
        raise FuzzSetupError(f"{path} is not valid JSON: {why}") from None
    if not isinstance(data, dict):
        raise FuzzSetupError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return data


def _field(data: dict, file: str, key: str, kind: type):
    if key not in data:
        raise FuzzSetupError(f"{file} has no {key!r}: not a fuzz artifact")
    if not isinstance(data[key], kind):
        raise FuzzSetupError(f"{file}: {key!r} must be a {kind.__name__}")
    return data[key]


def reproduce(artifact: Artifact, *, variant: str | None = None) -> Verdict:
    """Replay a stored input, under its own variant unless another is asked for."""
    return replay(artifact.target, artifact.input, variant=variant or artifact.variant,
                  native_coverage=artifact.native_coverage)


def minimize(artifact: Artifact, *, seconds: float) -> tuple[int, int, Verdict] | None:
    """Shrink the stored input with libFuzzer's ``-minimize_crash``; keep it only if the signature holds.

    Returns (old size, new size, verdict of the smaller input), or None when nothing
    smaller crashed the same way. The original input stays as ``input.original``.
    """
    rt = runtime(artifact.target.sanitizer, native_coverage=artifact.native_coverage)
    with tempfile.TemporaryDirectory(prefix="faultlab-minimize-") as work:
        smaller = Path(work) / "minimized"
        argv = replay_argv(artifact.target, artifact.input, "-minimize_crash=1",
                           f"-max_total_time={max(1, int(seconds))}",
                           f"-timeout={max(1, int(artifact.target.timeout))}", f"-exact_artifact_path={smaller}")
        runner.run(argv, timeout=seconds + 60, sanitizer=rt.configuration, env=rt.child_env(artifact.variant), use_gdb=False)
        if not smaller.exists() or smaller.stat().st_size >= artifact.input.stat().st_size:
            return None
        verdict = replay(artifact.target, smaller, variant=artifact.variant, native_coverage=artifact.native_coverage)
        if verdict.signature != artifact.verdict.signature:
            return None
        before = artifact.input.stat().st_size
        original = artifact.path / "input.original"
        if not original.exists():
            os.link(artifact.input, original)
        data = smaller.read_bytes()
        meta = json.loads((artifact.path / "finding.json").read_text())
        meta.update(input_sha1=hashlib.sha1(data).hexdigest(), input_size=len(data), minimized_from=before)
        for name, content in (("input", data), ("finding.json", (json.dumps(meta, indent=1) + "\n").encode())):
            staged = artifact.path / f".{name}.new"
            staged.write_bytes(content)
            os.replace(staged, artifact.path / name)
        return before, len(data), verdict
