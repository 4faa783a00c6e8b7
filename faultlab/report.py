"""A verdict as a person reads it in a terminal."""

from __future__ import annotations

from .verdict import Verdict


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
    if verdict.python_stack:
        lines.append("  Python stack (innermost first):")
        lines += [f"    {f}" for f in verdict.python_stack[:8]]
    if verdict.native_stack:
        lines.append("  native stack (innermost first):")
        lines += [f"    {f}" for f in verdict.native_stack[:8]]
    if verdict.threads:
        lines.append("  threads:")
        lines += [f"    {t}" for t in verdict.threads]
    return "\n".join(lines)
