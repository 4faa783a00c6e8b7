"""A verdict as a person reads it in a terminal."""

from __future__ import annotations

from .signature import meaningful
from .verdict import Frame, Verdict

SHOWN_FRAMES = 8


def _stack_lines(title: str, frames: tuple[Frame, ...]) -> list[str]:
    """The frames a person cares about; runtime and plumbing frames are counted, not shown."""
    if not frames:
        return []
    shown = meaningful(frames)[:SHOWN_FRAMES] or list(frames[:SHOWN_FRAMES])
    hidden = len(frames) - len(shown)
    note = f" ({hidden} runtime frames hidden)" if hidden else ""
    return [f"  {title} (innermost first){note}:", *(f"    {f}" for f in shown)]


def format_verdict(verdict: Verdict, *, title: str = "") -> str:
    lines = []
    head = f"{title}: " if title else ""
    lines.append(f"{head}{verdict.kind} [{verdict.mode}{', ' + verdict.cwe if verdict.cwe else ''}]  signature {verdict.signature}")
    lines.append(f"  {verdict.summary}")
    status = f"signal {verdict.signal}" if verdict.signal else f"exit status {verdict.exit_code}"
    lines.append(f"  {status}, {verdict.duration_s:.2f} s, sanitizer {verdict.sanitizer}, isolation {verdict.isolation}")
    if verdict.evidence:
        lines.append("  evidence:")
        lines += [f"    | {e}" for e in verdict.evidence]
    lines += _stack_lines("Python stack", verdict.python_stack)
    lines += _stack_lines("native stack", verdict.native_stack)
    if verdict.threads:
        lines.append("  threads:")
        lines += [f"    {t}" for t in verdict.threads]
    return "\n".join(lines)
