"""atheris and the libFuzzer it drives: no report of their own decides a verdict, but their frames sit under every fuzz crash.

faultlab builds the shared libFuzzer as ``libfuzzer.so`` (``fuzzing/coverage.py``); atheris'
glue between libFuzzer and ``TestOneInput`` (mangled or not) is the same in every crash.
"""

from __future__ import annotations

RUNTIME_MODULES = (r"libfuzzer",)
RUNTIME_FUNCTIONS = (r".*pybind11.*", r"atheris::.*")
