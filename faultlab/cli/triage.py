"""``faultlab triage LOG... [--json] [--sanitizer S]``: classify crash output someone saved, without running anything.

A CI log, a file another tool wrote, or standard input (``-``) is read as a child's stderr
and classified by the same classifier as ``diagnose``. A log says nothing of how its program
ended (no exit status, no signal), so the classifier takes its ending as unknown: a fatal
report in it (a sanitizer's, glibc's, faulthandler's) is the proof that the program ended
there, and words a program can print and go on (a traceback) decide only beside one. A log
without a fatal report is ``ok`` (docs/taxonomy.md).

Each log is read bounded: at most ``HEAD`` bytes from its start and ``TAIL`` from its end,
the cut marked, so a log of any size takes the same time; only regular files and standard
input are read (a FIFO, a directory or a device is refused at once, never waited on).
Exit status: 0 when every log is ``ok``, 1 when one shows a fault, 2 when one cannot be read
(the others are still triaged).
"""

from __future__ import annotations

import json
import os
import stat
import sys

from ..diagnosis import configurations
from ..diagnosis.classify import classify
from ..diagnosis.outcome import Outcome
from ..reports.terminal import format_verdict, printable
from . import EXIT_FAULT, EXIT_OK, EXIT_USAGE

HEAD = 2 << 20  # a report near the start (a build's crash before the tests ran)
TAIL = 6 << 20  # a crash usually ends its log
STDIN_LIMIT = 256 << 20  # standard input is read to its end or this far, never forever
_CHUNK = 1 << 20


class Unreadable(Exception):
    """A log that cannot be read; the message is one line for a person."""


def register(subparsers) -> None:
    p = subparsers.add_parser("triage", help="classify saved crash output (a CI log, a report file, - for stdin)")
    p.add_argument("logs", nargs="+", metavar="LOG", help="a file of saved output, or - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON verdict per log, with its name as 'log'")
    p.add_argument("--sanitizer", default="none", choices=configurations.NAMES,
                   help="the configuration the program ran under, recorded in the verdict (default: none)")
    p.set_defaults(func=triage, stopped="triage runs nothing and writes nothing, so nothing was left behind")


def _cut(skipped: int) -> bytes:
    return f"\n…[faultlab: {skipped} bytes of the log not read]…\n".encode()


def _read_file(path: str) -> bytes:
    """The head and tail of a regular file, without blocking on whatever else the path may be."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise Unreadable(f"{path} is a directory; name the log files in it")
        if stat.S_ISFIFO(mode):
            raise Unreadable(f"{path} is a FIFO; pipe it in instead: faultlab triage - < {path}")
        if not stat.S_ISREG(mode):
            raise Unreadable(f"{path} is not a regular file; save its output to a file first")
        size = os.fstat(fd).st_size
        with os.fdopen(fd, "rb", closefd=False) as f:
            if size <= HEAD + TAIL:
                return f.read(HEAD + TAIL)
            head = f.read(HEAD)
            f.seek(size - TAIL)
            return head + _cut(size - HEAD - TAIL) + f.read(TAIL)
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _read_stream(stream) -> bytes:
    """Standard input's head and tail, read in chunks to its end (or STDIN_LIMIT), in bounded memory."""
    head = bytearray()
    tail: list[bytes] = []
    kept = skipped = total = 0
    while total < STDIN_LIMIT:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        room = HEAD - len(head)
        head += chunk[:room]
        chunk = chunk[room:] if room > 0 else chunk
        if chunk:
            tail.append(chunk)
            kept += len(chunk)
            while kept - len(tail[0]) >= TAIL:
                kept -= len(tail[0])
                skipped += len(tail.pop(0))
    body = b"".join(tail)
    if kept > TAIL:
        skipped += kept - TAIL
        body = body[-TAIL:]
    rest = "\n…[faultlab: the rest of standard input not read]…\n".encode() if total >= STDIN_LIMIT and stream.read(1) else b""
    return bytes(head) + (_cut(skipped) if skipped else b"") + body + rest


def read_log(name: str) -> str:
    """A log's text as the classifier reads a child's output: bounded, decoded with backslashreplace."""
    raw = _read_stream(sys.stdin.buffer) if name == "-" else _read_file(name)
    return raw.decode("utf-8", "backslashreplace")


def outcome_of(text: str, name: str, sanitizer: str = "none") -> Outcome:
    """A saved log as an Outcome whose ending is unknown: no exit status, no signal, no timeout."""
    return Outcome(argv=("triage", name), exit_code=None, signal=None, timed_out=False, duration_s=0.0,
                   stdout="", stderr=text, sanitizer=configurations.get(sanitizer).name, configuration=sanitizer)


def triage(args) -> int:
    status = EXIT_OK
    for name in args.logs:
        try:
            text = read_log(name)
        except Unreadable as exc:
            print(f"faultlab: {printable(str(exc))}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        verdict = classify(outcome_of(text, name, args.sanitizer))
        # A name's bytes that are not UTF-8 as escapes, so JSON carries no lone surrogate either.
        label = "<stdin>" if name == "-" else os.fsencode(name).decode("utf-8", "backslashreplace")
        if args.json:
            print(json.dumps({"log": label, **verdict.to_dict()}))
        else:
            print(format_verdict(verdict, title=label))
        if not verdict.ok and status == EXIT_OK:
            status = EXIT_FAULT
    return status
