"""The dynamic loader: a library built with a sanitizer whose runtime was not loaded first.

Both messages reach the user as an ``OSError`` from ``dlopen()``. The static TLS marker keeps
the label ``tsan``, the runtime it is about: the classifier treats it as one of TSan's reports.
"""

from __future__ import annotations

from ._schema import Marker

MARKERS = (
    Marker("sanitizer-setup-error", "tsan", r"^.*?cannot allocate memory in static TLS block.*",
           "OSError: /usr/lib/x86_64-linux-gnu/libtsan.so.2: cannot allocate memory in static TLS block",
           precedence=50),
    Marker("sanitizer-setup-error", "ld.so", r"undefined symbol: __(?:asan|tsan|ubsan|sanitizer)_\w+.*",
           "OSError: ./libwidget_asan.so: undefined symbol: __asan_report_load4", precedence=60),
)

RUNTIME_MODULES = (r"ld-linux",)
