"""faultlab's benchmarks, one module per question, run by ``faultlab bench [NAME] [--json] [--quick]``.

- ``isolation``: what one case run costs in process isolation, against bare fork and a fresh interpreter;
- ``suite``: the whole ``pytest cases/`` serial and with ``-n 2``, and the time from a crash to its verdict;
- ``fuzz``: atheris against a pure-C libFuzzer on the same native target, in executions per second;
- ``boundary``: nanoseconds per call into C from Python, the JVM (JNI, Panama), Go, Node and Rust against
  a C baseline, and the batch size from which batching pays (``--chart`` draws it);
- ``deadlock``: how soon a deadlock gets its verdict, the watchdog's early call against the timeout.

Each module has ``run(quick: bool) -> dict`` (rendered by ``faultlab.benchstats.render``). Every figure is
several samples of one run (median, min, max) with a ratio against a baseline measured in
the same run. Benchmarks are never pass/fail tests: tests/test_bench.py only checks that
each one runs on a tiny size (``quick``) and reports well-formed figures.
"""

NAMES = ("isolation", "suite", "fuzz", "boundary", "deadlock")
