"""How soon a deadlock gets its verdict: the watchdog's early call against waiting out the timeout.

The case is the catalog's ``threading/gil-lock-order-deadlock`` (a C mutex and the GIL
taken in opposite orders), run as ``pytest cases/`` runs it (``execute.run_case``, fork
server) with its own timeout. Figures, from the times the verdict records (since the
child started): stall to verdict with the early call on (``stalled_at_s`` to
``called_at_s``: the sampling window, eu-stack's check, then gdb's evidence); start to verdict with it
on; and start to verdict with it off, which is the old behaviour and the baseline, so the
ratio is the share of the timeout still spent. Also what one /proc sample of the
deadlocked child costs, paid every ``stall.SAMPLE_EVERY_S`` while any child runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.diagnosis import stall
from faultlab.lab import catalog, execute
from faultlab.lab.isolation import client

COMMAND = "faultlab bench deadlock"
CASE = "threading/gil-lock-order-deadlock"
BASELINE = "start to verdict, early call off (at the timeout)"
STALL_TO_VERDICT = "stall to verdict, early call on"


def _sample_cost(case, rounds: int) -> Figure:
    """The cost of one ``stall.snapshot`` of the broken variant's deadlocked child, in ms."""
    child = subprocess.Popen(case.argv("broken"), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while stall.snapshot(child.pid) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        samples = benchstats.sample(lambda: stall.snapshot(child.pid), inner=50, repeat=rounds)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return Figure("one /proc sample of the deadlocked child (stall.snapshot)", "ms", samples,
                  note=f"taken every {stall.SAMPLE_EVERY_S * 1e3:.0f} ms while a child runs")


def run(quick: bool = False) -> dict:
    repeat = 1 if quick else 5
    case = catalog.find(CASE)
    case.build("none", "broken")
    samples: dict[str, list[float]] = {STALL_TO_VERDICT: [], "start to verdict, early call on": [], BASELINE: []}
    try:
        for _ in range(repeat):  # in rounds, so a drift in machine load hits both alike
            early = execute.run_case(case, "broken", "none").verdict
            late = execute.run_case(case, "broken", "none", deadlock_after=None).verdict
            for v in (early, late):
                if v.kind != "deadlock":
                    raise RuntimeError(f"{CASE} came out {v.kind}, not deadlock: {v.summary}")
            samples[STALL_TO_VERDICT].append(early.called_at_s - early.stalled_at_s)
            samples["start to verdict, early call on"].append(early.called_at_s)
            samples[BASELINE].append(late.called_at_s)
    finally:
        client.shared_pool().close()
    figures = benchstats.compare([Figure(name, "s", tuple(values)) for name, values in samples.items()], BASELINE)
    figures.append(_sample_cost(case, 3 if quick else 10))
    stall_to_verdict = figures[0].median
    return {
        "bench": "deadlock",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target("a deadlock's stall to its verdict <= 1 s", stall_to_verdict, "<=", 1.0,
                                      unit="s")],
        "notes": [f"{CASE}, timeout {case.timeout:g} s, early-call window {stall.DEADLOCK_AFTER_S:g} s; "
                  f"python {sys.version.split()[0]}"],
    }
