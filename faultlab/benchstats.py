"""Median, spread and ratio: how every figure of ``faultlab bench`` is measured and reported.

A figure is only worth quoting with its spread and against a baseline measured in the
same run on the same machine: absolute times move with the machine and its load, ratios
much less. So each figure is several samples, reported as median, min and max, and as a
ratio of medians against the figure its bench names as baseline.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Figure:
    name: str
    unit: str  # "ms", "ns/call", "exec/s", "s"
    samples: tuple[float, ...]
    baseline: str | None = None  # the name of the figure this one is divided by
    ratio: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)  # what else a reader needs: item counts, commands

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median: how far apart the samples are, as a fraction of the median."""
        return (max(self.samples) - min(self.samples)) / self.median if self.median else 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "median": self.median, "min": min(self.samples),
                "max": max(self.samples), "spread": round(self.spread, 4), "samples": list(self.samples),
                "baseline": self.baseline, "ratio": None if self.ratio is None else round(self.ratio, 4),
                "note": self.note, **self.extra}


def sample(fn: Callable[[], object], *, inner: int, repeat: int, scale: float = 1e3) -> tuple[float, ...]:
    """``repeat`` samples, each the mean time of ``inner`` calls of ``fn``, times ``scale`` (ms by default)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner * scale)
    return tuple(samples)


def compare(figures: list[Figure], baseline: str) -> list[Figure]:
    """Set every figure's ratio to its median over the baseline's median; the baseline gets 1."""
    base = next(f for f in figures if f.name == baseline)
    for f in figures:
        f.baseline = baseline
        f.ratio = f.median / base.median if base.median else None
    return figures


def target(what: str, measured: float | None, op: str, limit: float, *, unit: str = "") -> dict:
    """One of the issue's targets, checked against a measured figure (None: could not be measured)."""
    checks = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b}
    met = None if measured is None else checks[op](measured, limit)
    return {"target": what, "measured": measured, "op": op, "limit": limit, "unit": unit, "met": met}


def table(figures: list[dict]) -> str:
    """Figures (as ``Figure.to_dict()`` gives them) as aligned text: median, unit, min .. max, ratio."""
    rows = [("figure", "median", "unit", "min .. max", "ratio")]
    for f in figures:
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.2f}x {f['baseline']}"
        rows.append((f["name"], _num(f["median"]), f["unit"], f"{_num(f['min'])} .. {_num(f['max'])}", ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i == 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def render(result: dict) -> str:
    """One bench's result for a person: the table, the targets with met / NOT met, the notes."""
    lines = [f"== {result['bench']} ({result['command']})", table(result["figures"])]
    for t in result["targets"]:
        state = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        measured = "-" if t["measured"] is None else _num(t["measured"])
        lines.append(f"target: {t['target']}: {measured} {t['unit']} ({state})")
    lines += [f"note: {n}" for n in result["notes"]]
    return "\n".join(lines)


def _num(x: float) -> str:
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"
