"""The programs whose reports the classifier reads, one module each, and the tables built from all of them.

A source module declares, as data (every name optional):

- ``MARKERS``: the strings that decide a verdict, each with an example and a ``precedence``;
- ``RUNTIME_PATHS``: source paths that give a frame away as the runtime's (``RuntimePath``);
- ``RUNTIME_MODULES`` / ``RUNTIME_FUNCTIONS``: regexes of the frame modules (matched at the
  start) and function names (matched whole) that are runtime plumbing, never the bug;
- ``SIGNAL_KINDS``: the kind of a child that died of a signal;
- ``read(marker, match, text) -> Reading``: what its report says beyond the marker's line
  (its frames, a better headline), in its own frame syntax;
- ``REPORT_FILES`` / ``REPORT_FILE_OPTIONS``: the report file its program writes beside its
  output, and how to ask for it in the run's directory (``report_files``); its text follows
  the stream the marker was found in when the reader reads it.

Nothing lists the modules: every public module of this package is a source, so adding one
is one new module plus its tests. The order of the marker table is the markers' precedence,
never the order in which the modules were found.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

from ._schema import Marker, Reading, RuntimePath

__all__ = [
    "MARKERS", "READERS", "REPORT_FILES", "RUNTIME_FUNCTIONS", "RUNTIME_MODULES", "RUNTIME_PATHS", "SIGNAL_KINDS", "SOURCES",
    "Marker", "Reading", "RuntimePath", "marker_readers", "marker_report_files", "marker_table", "runtime_functions", "runtime_modules", "runtime_paths",
    "signal_kinds", "source_modules",
]

# A frame without a name (an unsymbolized address, code no module owns) names no bug, whoever printed it.
_NAMELESS_MODULES = (r"\?\?$",)
_NAMELESS_FUNCTIONS = (r"<null>", r"\?\?")


def source_modules() -> tuple[ModuleType, ...]:
    """Every public module of this package, by name: the report sources."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)


def marker_table(sources: tuple[ModuleType, ...]) -> tuple[Marker, ...]:
    """All the sources' markers in the order the classifier tries them: by precedence, lowest first."""
    return tuple(sorted((m for source in sources for m in getattr(source, "MARKERS", ())), key=lambda m: m.precedence))


def marker_readers(sources: tuple[ModuleType, ...]) -> dict[Marker, object]:
    """Each marker's reader: the ``read`` of the source that declares it, where it has one."""
    return {m: source.read for source in sources if hasattr(source, "read") for m in getattr(source, "MARKERS", ())}


def marker_report_files(sources: tuple[ModuleType, ...]) -> dict[Marker, tuple[re.Pattern, ...]]:
    """Each marker's report files: the names its source's ``REPORT_FILES`` declare, where it declares any."""
    return {m: tuple(re.compile(n) for n in source.REPORT_FILES) for source in sources
            if getattr(source, "REPORT_FILES", ()) for m in getattr(source, "MARKERS", ())}


def runtime_paths(sources: tuple[ModuleType, ...]) -> tuple[RuntimePath, ...]:
    """All the sources' path rules, in the order they are tried: by precedence, lowest first."""
    return tuple(sorted((r for source in sources for r in getattr(source, "RUNTIME_PATHS", ())), key=lambda r: r.precedence))


def runtime_modules(sources: tuple[ModuleType, ...]) -> re.Pattern:
    """One regex that matches the start of any runtime's frame module."""
    names = [*_NAMELESS_MODULES, *(p for source in sources for p in getattr(source, "RUNTIME_MODULES", ()))]
    return re.compile(r"^(?:" + "|".join(names) + r")")


def runtime_functions(sources: tuple[ModuleType, ...]) -> re.Pattern:
    """One regex that matches the whole name of any runtime function."""
    names = [*_NAMELESS_FUNCTIONS, *(p for source in sources for p in getattr(source, "RUNTIME_FUNCTIONS", ()))]
    return re.compile(r"^(?:" + "|".join(names) + r")$")


def signal_kinds(sources: tuple[ModuleType, ...]) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for source in sources:
        kinds.update(getattr(source, "SIGNAL_KINDS", {}))
    return kinds


SOURCES = source_modules()
MARKERS = marker_table(SOURCES)
READERS = marker_readers(SOURCES)
REPORT_FILES = marker_report_files(SOURCES)
RUNTIME_PATHS = runtime_paths(SOURCES)
RUNTIME_MODULES = runtime_modules(SOURCES)
RUNTIME_FUNCTIONS = runtime_functions(SOURCES)
SIGNAL_KINDS = signal_kinds(SOURCES)
