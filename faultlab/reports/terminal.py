"""A verdict as a person reads it in a terminal, and untrusted text made safe to print there."""

from __future__ import annotations

import re
import textwrap

from ..diagnosis.signature import meaningful
from ..diagnosis.verdict import Frame, Verdict
from ..lab.results import FIX_PLACES, CaseRecord, Marked

SHOWN_FRAMES = 8


def _escape(code: int) -> str:
    short = {0x0A: "\\n", 0x0D: "\\r"}
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape (a file name's): the byte
        return f"\\x{code - 0xDC00:02x}"
    return short.get(code) or (f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}")


# What a child or a downloaded file cannot be allowed to send to a terminal: the C0 controls
# (ESC starts CSI and OSC sequences: a new window title, a cleared screen, a planted OSC 8
# link; CR and BS overwrite what is shown), DEL, the C1 controls (U+009B is a one-character
# CSI), the bidi marks, overrides and isolates that reorder what is read, the Unicode line
# and paragraph separators, and the surrogates (a file name's undecodable bytes: a strict
# UTF-8 terminal cannot be sent them at all). Tab stays: it moves the cursor right and
# cannot hide anything.
_UNPRINTABLE = {code: _escape(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                                                 *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029,
                                                 *range(0xD800, 0xE000)) if code != 0x09}


def printable(text: str) -> str:
    """``text`` with every control, escape and bidi character shown as its escape (``\\x1b``, ``\\r``, ``\\u009b``).

    Everything a child printed or a file held passes through here on its way to a person's
    terminal; JSON output does not need it (``json.dumps`` escapes the same characters).
    """
    return text.translate(_UNPRINTABLE)


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
    if verdict.severity != "none" or verdict.access:
        access = f", {verdict.access}" + (f" of size {verdict.access_size}" if verdict.access_size else "") if verdict.access else ""
        lines.append(f"  severity {verdict.severity}{access}")
    lines.append(f"  {verdict.summary}")
    status = (f"signal {verdict.signal}" if verdict.signal else f"exit status {verdict.exit_code}"
              if verdict.exit_code is not None else "ending unknown (a saved log)")
    lines.append(f"  {status}, {verdict.duration_s:.2f} s, sanitizer {verdict.sanitizer}, isolation {verdict.isolation}")
    if verdict.evidence:
        lines.append("  evidence:")
        lines += [f"    | {e}" for e in verdict.evidence]
    lines += _stack_lines("Python stack", verdict.python_stack)
    lines += _stack_lines("native stack", verdict.native_stack)
    if verdict.threads:
        lines.append("  threads:")
        lines += [f"    {t}" for t in verdict.threads]
    return "\n".join(printable(line) for line in lines)


# -- a case's explanation ------------------------------------------------------------------------

_COMMENT_START = re.compile(r"\s(#|//|/\*)")


def _split_comment(text: str) -> tuple[str, str]:
    """(code, trailing comment) when the line ends with a comment outside string quotes."""
    for m in _COMMENT_START.finditer(text):
        before = text[: m.start()]
        if before.strip() and before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            return before.rstrip(), text[m.start(1):]
    return text, ""


def fit(text: str, width: int, prefix: str = "") -> list[str]:
    """``prefix + text`` in lines of at most ``width`` columns.

    A long line that ends in a comment shows the comment on its own line above the
    code, indented like it (the same program); anything still too long is wrapped with
    a deeper indent.
    """
    if len(prefix) + len(text) <= width:
        return [prefix + text]
    code, comment = _split_comment(text)
    indent = text[: len(text) - len(text.lstrip())]
    if comment:
        return fit(indent + comment, width, prefix) + fit(code, width, prefix)
    room = max(width - len(prefix), 20)
    pieces = textwrap.wrap(text.strip(), width=room, initial_indent=indent, subsequent_indent=indent + "    ",
                           break_long_words=True, break_on_hyphens=False) or [""]
    return [prefix + p for p in pieces]


def _fit_diff(diff: str, width: int, indent: str = "  ") -> list[str]:
    out = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            out += fit(line, width, indent)
        else:
            out += fit(line[1:], width, indent + line[:1])
    return out


def _paragraphs(text: str, width: int, indent: str = "  ") -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.strip():
            out += textwrap.wrap(" ".join(para.split()), width=width, initial_indent=indent, subsequent_indent=indent)
            out.append("")
    return out[:-1] if out else out


def _mark_lines(marks: tuple[Marked, ...], width: int) -> list[str]:
    out = []
    for m in marks:
        out += fit(f"{m.path}:{m.line} ({m.where})", width, "  ")
        out += fit(m.code.strip(), width, "      ")
        out += fit(f"{m.tag}: {m.note}", width, "      ")
    return out


def format_explanation(e: CaseRecord, width: int = 80) -> str:
    """A case's rule, decisive lines and fix in ``width`` columns (``lessons.record`` or an ``Explanation``)."""
    runtime = f"{e.runtime}, " if e.runtime != "cpython" else ""
    lines = fit(f"{e.id}  [{e.mode}, {runtime}{e.cwe}{': ' + e.cwe_name if e.cwe_name else ''}]", width)
    lines += fit(e.title, width)
    lines.append("")
    if e.rule:
        lines.append(f"The rule broken ({e.mode}):")
        lines += _paragraphs(e.rule, width)
        lines.append("")
    if e.explanation:
        lines.append("What happens:")
        lines += _paragraphs(e.explanation, width)
        lines.append("")
    lines.append("Caught by:")
    lines += [f"  {sanitizer:<15} -> {expect}" for sanitizer, expect in e.expect.items()]
    lines += textwrap.wrap(f"The fixed variant must come out ok under each; the fix is "
                           f"{FIX_PLACES.get(e.fix_in, e.fix_in)}.", width, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    lines.append("The flaw:" if e.flaws else "The flaw: (no FLAW: comment marks it)")
    lines += _mark_lines(e.flaws, width)
    if e.fixes:
        lines.append("")
        lines.append("The fix:")
        lines += _mark_lines(e.fixes, width)
    lines.append("")
    lines += fit(f"Broken -> fixed driver ({e.source}):", width)
    lines += _fit_diff(e.driver_diff, width) if e.driver_diff else ["  (the drivers' source is not available)"]
    for path, diff in e.native_diffs:
        lines.append("")
        lines += fit(f"Broken -> fixed native code ({path}):", width)
        lines += _fit_diff(diff, width)
    if not e.native_diffs and e.fix_in in ("native", "both"):
        lines.append("")
        lines.append("  (no #ifdef FAULTLAB_FIXED found in the native sources)")
    return "\n".join(printable(line.rstrip()) for line in lines)
