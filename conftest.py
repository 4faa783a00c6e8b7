"""Root of faultlab's pytest configuration.

The faultlab plugin itself arrives through its ``pytest11`` entry point (faultlab/plugin.py),
so ``pytest cases/`` needs no flags. Here we only keep pytest out of the folders that hold
no tests: native sources, fuzz harnesses (they are atheris programs, not tests), benchmarks.
"""

collect_ignore = ["native", "fuzz", "bench", ".clusterfuzzlite", "docs"]
