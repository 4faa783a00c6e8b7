"""The boundary bench's chart: cost per item against batch size, one line per runtime, drawn by matplotlib.

It reads only the bench's result (``bench.boundary.run``), so a chart can be redrawn from a
saved ``--json`` run, and it draws nothing by hand: matplotlib's Agg backend, no display.
The dotted line is the crossover's threshold, twice the C loop's cost per item: where a
runtime's line meets it is its batch crossover.
"""

from __future__ import annotations

import io

FORMATS = ("svg", "png")


def draw(result: dict, fmt: str) -> bytes:
    """The chart of one ``faultlab bench boundary`` result as ``fmt`` (svg or png), the same bytes for the same result."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # not pyplot: no global state, nothing to close

    figure = Figure(figsize=(9, 5.5), layout="constrained")
    axes = figure.subplots()
    colours = matplotlib.colormaps["tab20"].colors
    measured = [r for r in result["runtimes"] if r["status"] == "measured"]
    for index, record in enumerate(measured):
        sizes = [b["size"] for b in record["batch"]]
        axes.plot(sizes, [b["median"] for b in record["batch"]], marker="o", markersize=3, linewidth=1.4,
                  color="black" if record["runtime"] == "c" else colours[(2 * index) % len(colours)],
                  linestyle="--" if record["runtime"] == "c" else "-",
                  label=f"{record['name']} (crossover {record['crossover'] or 'beyond'})")
    threshold = result["crossover_factor"] * result["native_per_item_ns"]
    axes.axhline(threshold, color="grey", linestyle=":", linewidth=1,
                 label=f"{result['crossover_factor']:g}x the C loop per item ({threshold:.2f} ns)")
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xlabel("batch size (items passed in one call)")
    axes.set_ylabel("ns per item (median)")
    axes.set_title(f"One call over a batch, per item, by runtime ({result['command']})")
    axes.grid(True, which="major", linewidth=0.4, alpha=0.5)
    axes.legend(fontsize=7.5, ncols=2)
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "faultlab-boundary", "svg.fonttype": "none"}):
        figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None})
    return out.getvalue()
