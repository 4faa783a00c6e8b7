"""Report files a runtime writes beside its output (a JVM's ``hs_err_pid<N>.log``), kept in the run's directory and read back as hostile.

A source that has such a file declares its name (``REPORT_FILES``, regexes matched whole)
and how to ask the runtime to write it into a directory (``REPORT_FILE_OPTIONS``: an
environment variable, an option and its value with ``{dir}`` for the directory). The runner
points every child at the run's dump directory, so the file is never left in the user's
working directory, and reads it back after the run: only regular files, never through a
symlink or a FIFO, a bounded number of them, each cut at ``READ_CAP`` bytes.

The JVM writes the full report there: the crashing thread's native and Java frames and the
faulting address, where its summary on stdout names one frame.
"""

from __future__ import annotations

import functools
import os
import re
import stat

READ_CAP = 256 * 1024  # the JVM's thread, frames and siginfo come first; its long tail is the machine's state
MAX_FILES = 4


@functools.cache
def _declared() -> tuple[tuple[re.Pattern, ...], tuple[tuple[str, str, str], ...]]:
    """The sources' report file names and options. Late: the fork server never loads the sources."""
    from .sources import SOURCES

    return (tuple(re.compile(name) for source in SOURCES for name in getattr(source, "REPORT_FILES", ())),
            tuple(option for source in SOURCES for option in getattr(source, "REPORT_FILE_OPTIONS", ())))


def asked_for(env: dict[str, str], directory: str) -> dict[str, str]:
    """The variables to set so that each runtime writes its report file into ``directory``; an
    option the user already set (``-XX:ErrorFile`` in their ``JAVA_TOOL_OPTIONS``) is theirs, and kept."""
    changed = {}
    for variable, option, value in _declared()[1]:
        current = env.get(variable, "")
        if option not in current:
            changed[variable] = " ".join(p for p in (current, option + value.format(dir=directory)) if p)
    return changed


def environment(env: dict[str, str], directory: str) -> dict[str, str]:
    """``env`` with ``asked_for``'s variables set."""
    return {**env, **asked_for(env, directory)}


def collect(directory: str | None) -> tuple[tuple[str, str], ...]:
    """The report files in ``directory`` as (name, text), by name; () when there are none."""
    if directory is None:
        return ()
    try:
        names = sorted(n for n in os.listdir(directory) if any(p.fullmatch(n) for p in _declared()[0]))
    except OSError:
        return ()
    found = []
    for name in names[:MAX_FILES]:
        text = read_left(os.path.join(directory, name), READ_CAP)
        if text is not None:
            found.append((name, text))
    return tuple(found)


def read_left(path: str, cap: int) -> str | None:
    """The first ``cap`` bytes of a file a child left in the run's directory, decoded with
    ``backslashreplace``; None unless it is a regular file reached without a symlink (a FIFO
    is never waited on). Every file a child leaves there is read this way (the crash handler's
    frames too)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.pread(fd, cap, 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data.decode("utf-8", "backslashreplace")
