"""Turn an ``Outcome`` into a ``Verdict``: what went wrong, in the fixed vocabulary of kinds.

The classifier reads; it never touches a process. The first marker of
``sources.MARKERS`` (every report source's, by precedence) that matches and agrees with
how the program ended decides, then timeouts, signals and the exit status.

Evidence must agree with the exit: a marker decides a run that ended abnormally (a signal,
a non-zero status, the watchdog) unless it says its kind ends with status 0 too
(``Marker.ending``). An outcome that knows neither exit status nor signal is a saved log
(``faultlab triage``): its ending is unknown, so a fatal report (a sanitizer's, glibc's,
faulthandler's) is taken as the proof that the program ended there, and a report that a
program can print and go on (a traceback) decides only when a fatal report shows too.
"""

from __future__ import annotations

import dataclasses
import re

from . import configurations, crash_frames, stacks
from .details import details
from .stall import is_deadlock
from .kinds import KINDS, severity
from .outcome import Outcome
from .signature import frame_key, meaningful, signature
from .sources import MARKERS, READERS, REPORT_FILES, SIGNAL_KINDS, Marker, Reading
from .sources._schema import ANY, FATAL
from .verdict import Frame, Verdict

_EVIDENCE_CONTEXT = re.compile(r"^\s*(?:READ|WRITE) of size .*|^\s*(?:Read|Write|Previous write|Previous read|Atomic \w+) of size .*"
                               r"|^(?:Address )?0x[0-9a-f]+ is located .*|^SUMMARY: \w+Sanitizer: .*|^\w*(?:Error|Exception): .*"
                               r"|^faultlab\.Detected: .*")
_CESU_BYTES = re.compile(r"(?:\\xed\\x[ab][0-9a-f](?:\\x[89ab][0-9a-f])?|\\xc0\\x80|0xed 0x[ab][0-9a-f]|\bed [ab][0-9a-f] [89ab][0-9a-f]\b|\bc0 80\b)", re.I)
_ASAN_PID = re.compile(r"^==\d+==")

# The longest line the classifier reads. A child can print a megabyte on one line; the
# markers and frames of real reports fit in a few hundred characters, so an over-long
# line keeps its head (where markers start) and its tail (where a frame's place is), and
# says what was cut. With every pattern linear, this bounds the cost of each line.
LINE_LIMIT = 4096
_HEAD, _TAIL = 3072, 1024


def cut_long_lines(text: str) -> str:
    """``text`` with every line longer than ``LINE_LIMIT`` cut in the middle, the cut marked."""
    lines = text.split("\n")
    if all(len(line) <= LINE_LIMIT for line in lines):
        return text
    return "\n".join(line if len(line) <= LINE_LIMIT
                     else f"{line[:_HEAD]}…[faultlab: {len(line) - _HEAD - _TAIL} characters cut]…{line[-_TAIL:]}"
                     for line in lines)


def _bounded(outcome: Outcome) -> Outcome:
    """The outcome as the classifier reads it: no line longer than ``LINE_LIMIT``."""
    threads = tuple(dataclasses.replace(t, native_stack=tuple(cut_long_lines(line) for line in t.native_stack))
                    for t in outcome.threads)
    return dataclasses.replace(outcome, stdout=cut_long_lines(outcome.stdout), stderr=cut_long_lines(outcome.stderr),
                               threads=threads)


def _text_markers():
    return [m for m in MARKERS if m.pattern]


_LOOKS_AHEAD = "(?=(?:\\n"  # a marker whose headline needs a line further down (ASan's unknown-crash)


def _search(marker: Marker, text: str) -> re.Match | None:
    """``marker.regex.search(text)``, in time linear in ``text``.

    A marker that looks ahead over the following lines is tried at the first line of its
    headline only: a later headline sees fewer lines ahead, so it cannot match where the
    first did not, and a thousand headlines must not cost a thousand reads of the rest.
    """
    if _LOOKS_AHEAD not in marker.pattern:
        return marker.regex.search(text)
    first = re.compile(marker.pattern.split(_LOOKS_AHEAD)[0], re.MULTILINE).search(text)
    return marker.regex.match(text, first.start()) if first else None


# How a program ended, as a marker's ``ending`` needs it.
ABNORMAL, NORMAL, UNKNOWN = "abnormal", "normal", "unknown"
# The sources whose reports still decide when the watchdog stopped the child: what they
# printed before the timeout is the bug, not the hang.
_DECIDE_AT_TIMEOUT = ("asan", "tsan", "ubsan", "lsan", "sanitizer", "glibc", "faultlab", "libfuzzer")


def ending(outcome: Outcome) -> str:
    """ABNORMAL (a signal, a non-zero status, the watchdog), NORMAL (status 0) or UNKNOWN (a saved log: neither is known)."""
    if outcome.timed_out or outcome.signal is not None or outcome.exit_code:
        return ABNORMAL
    return NORMAL if outcome.exit_code == 0 else UNKNOWN


def _first_match(outcome: Outcome) -> tuple[tuple[Marker, re.Match, str] | None, tuple[Marker, re.Match] | None]:
    """The first marker (in table order) found in stderr, then stdout, that agrees with the ending;
    and the first one found that did not (a crash's words in a program that did not crash)."""
    how = ending(outcome)
    streams = (outcome.stderr, outcome.stdout)
    fatal_shown: bool | None = None
    disagreed = None
    for marker in _text_markers():
        for text in streams:
            m = _search(marker, text)
            if not m:
                continue
            if marker.ending == ANY or how == ABNORMAL or (how == UNKNOWN and marker.ending == FATAL):
                return (marker, m, text), disagreed
            if how == UNKNOWN:
                if fatal_shown is None:
                    fatal_shown = any(_search(f, t) for f in _text_markers() if f.ending == FATAL for t in streams)
                if fatal_shown:
                    return (marker, m, text), disagreed
            disagreed = disagreed or (marker, m)
            break
    return None, disagreed


def _thread_lines(outcome: Outcome) -> tuple[str, ...]:
    lines = []
    for t in outcome.threads:
        native = meaningful(stacks.gdb_stack(t.native_stack))
        top = stacks.gdb_stack(t.native_stack)[:1]
        where = ", ".join(str(f) for f in (top + tuple(native[:3]))) or "no native stack"
        lines.append(f"pid {t.pid} tid {t.tid} state {t.state} waiting in {t.wchan}: {where}")
    for header, frames in stacks.faulthandler_threads(outcome.stderr):
        lines.append(f"{header}: " + " <- ".join(str(f) for f in frames[:4]))
    return tuple(lines)


def _clean(line: str) -> str:
    return _ASAN_PID.sub("", line).strip()


def _evidence(marker_line: str, text: str, kind: str) -> tuple[str, ...]:
    lines = [_clean(marker_line)]
    for line in text.splitlines():
        if len(lines) >= 6:
            break
        clean = _clean(line)
        if clean in lines:
            continue
        if _EVIDENCE_CONTEXT.match(line) or (kind in ("encoding-corruption", "silent-corruption") and _CESU_BYTES.search(line)):
            lines.append(clean)
    return tuple(lines)


def _exception_line(text: str) -> str:
    """The line naming the exception of the last traceback ("ValueError: bad size"), or ""."""
    lines = text.splitlines()
    start = max((i for i, line in enumerate(lines) if line.endswith("Traceback (most recent call last):")), default=None)
    if start is None:
        return ""
    return next((line.strip() for line in lines[start + 1 :] if line.strip() and not line.startswith(" ")), "")


def setup_hint(headline: str) -> str:
    """What to do about a sanitizer runtime that could not start: usually, let faultlab preload it.

    The configuration whose runtime the headline names (``Configuration.setup_signs``) is
    the one to run under.
    """
    if "unexpected memory mapping" in headline:
        return "TSan cannot map its shadow with this many ASLR bits: sysctl vm.mmap_rnd_bits=28, or run under setarch -R"
    name = next((c.name for c in configurations.CONFIGURATIONS.values()
                 if any(re.search(sign, headline) for sign in c.setup_signs)), None)
    if name is None:
        return "run it with the --sanitizer its libraries were built with, so faultlab preloads that runtime"
    return f"the library is built with {name}: run it with --sanitizer {name}, so faultlab preloads the runtime first"


def _summary(kind: str, headline: str, native: tuple[Frame, ...], python: tuple[Frame, ...]) -> str:
    where = meaningful(native)[:1] or meaningful(python)[:1]
    # (?<!\s): a run of blanks is tried from its start only, not from each of its blanks.
    headline = re.sub(r"(?<!\s)(?:\s*\(pc 0x.*$|\s+at pc 0x.*$|\s+on address 0x[0-9a-f]+)", "", headline)
    text = headline if headline else KINDS[kind].description
    if where:
        text += f" in {where[0]}"
    return text[:240]


def classify(outcome: Outcome) -> Verdict:
    outcome = _bounded(outcome)
    native: tuple[Frame, ...] = ()
    python = stacks.python_stack(outcome.stderr)
    threads: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    headline = ""
    mode = None  # the kind's own, unless the marker proves another
    access: str | None = None
    access_size: int | None = None
    found, disagreed = _first_match(outcome)
    if found and (not outcome.timed_out or found[0].source in _DECIDE_AT_TIMEOUT):
        marker, match, text = found
        # A report file its program left (the JVM's hs_err) continues the report the marker began.
        told = text + "".join(f"\n{body}" for name, body in outcome.report_files
                              if any(p.fullmatch(name) for p in REPORT_FILES.get(marker, ())))
        reading = READERS[marker](marker, match, told) if marker in READERS else Reading()
        kind = reading.kind or marker.kind
        headline = _clean(match.group(0))
        evidence = _evidence(match.group(0), text, kind)
        headline = reading.headline or headline
        access, access_size = reading.access, reading.access_size
        native = reading.native_stack
        if reading.place is not None and not meaningful(native):
            native = (reading.place,)
            extra = (f"{frame_key(reading.place)}:{reading.place.line}",)
        evidence = (*evidence, *(line for line in reading.evidence if line not in evidence))
        extra = (*extra, *reading.signature)
        if marker.mode:
            mode = marker.mode
            extra = (*extra, marker.mode)  # one checker, different rules: different bugs
        if marker.kind == "swallowed-exception":
            python = stacks.python_stack(text[match.start():])
        if not python and text is outcome.stdout:
            # The traceback went where the marker was: atheris prints a harness's uncaught exception to stdout.
            python = stacks.python_stack(text)
        if marker.kind == "sanitizer-setup-error":
            hint = setup_hint(headline)
            headline = f"{headline.split(';')[0]}; hint: {hint}"
            evidence = (*evidence, f"hint: {hint}")
        if kind == "python-exception" and not reading.headline:
            # "Traceback (most recent call last):" says nothing; the exception's own line does.
            headline = _exception_line(text) or headline
    elif outcome.timed_out:
        # A stall the watchdog called early was confirmed by the stacks, with what it knew of the
        # child's runtime (a bystander thread of libFuzzer's, say): it stands.
        kind = "deadlock" if outcome.stalled_at_s is not None or is_deadlock(outcome.threads) else "hang"
        threads = _thread_lines(outcome)
        main = outcome.threads[0].native_stack if outcome.threads else ()
        native = stacks.gdb_stack(main)
        dumps = stacks.faulthandler_threads(outcome.stderr)
        if dumps:
            python = dumps[-1][1] if dumps[-1][0].startswith("Current") else dumps[0][1]
        # Every thread's top meaningful frame, so two different hangs in one function differ.
        tops = {frame_key(m[0]) for t in outcome.threads if (m := meaningful(stacks.gdb_stack(t.native_stack)))}
        tops |= {frame_key(m[0]) for _, frames in dumps if (m := meaningful(frames))}
        extra = tuple(sorted(tops))
        stopped = "timed out" if outcome.stalled_at_s is None or kind != "deadlock" else (
            f"stalled for {outcome.called_at_s - outcome.stalled_at_s:.1f} s")
        headline = f"{stopped}; {sum(1 for t in outcome.threads)} threads, " + (
            "all blocked on locks" if kind == "deadlock" else "not all blocked")
        evidence = threads[:6]
    elif outcome.signal is not None:
        kind = SIGNAL_KINDS.get(outcome.signal_name, "killed")
        headline = f"killed by {outcome.signal_name}"
        evidence = (headline,)
    elif outcome.exit_code:
        kind = "exit-nonzero"
        headline = f"exit status {outcome.exit_code}"
        tail = [line for line in outcome.stderr.splitlines() if line.strip()][-3:]
        evidence = (headline, *tail)
    elif outcome.exit_code == 0:
        kind = "ok"
        headline = "exit status 0"
    else:
        kind = "ok"
        headline = "no fatal report in the log (how the program ended is unknown)"
    if not native and outcome.crash_frames:
        # No report named a native frame: the crash handler's frames of the crashing thread do.
        native = crash_frames.verdict_frames(outcome)
    if kind == "ok" and disagreed:
        # A crash's words without a crash: a quotation, or a report the program survived.
        said = _clean(disagreed[1].group(0))
        headline += f"; it printed {said!r}, which decides nothing without an abnormal end"
        evidence = (f"not decisive: {said} ({disagreed[0].kind}, {disagreed[0].source})",)
    info = KINDS[kind]
    if kind == "ok":
        python = native = ()
    return Verdict(
        kind=kind,
        mode=mode or info.mode,
        cwe=info.cwe,
        security=severity(kind, access) != "none",
        summary=_summary(kind, headline, native, python),
        evidence=evidence,
        python_stack=python,
        native_stack=native,
        threads=threads,
        signal=outcome.signal_name,
        exit_code=outcome.exit_code,
        duration_s=outcome.duration_s,
        signature=signature(kind, native, python, extra),
        sanitizer=outcome.sanitizer,
        isolation=outcome.isolation,
        stalled_at_s=outcome.stalled_at_s,
        called_at_s=outcome.called_at_s,
        **(details(outcome) if kind != "ok" else {}),  # a clean run's output is not a report
        severity=severity(kind, access),
        access=access,
        access_size=access_size,
    )
