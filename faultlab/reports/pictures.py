"""The pictures of ``faultlab.lab.pictures`` drawn: inline SVG and HTML for the report, a few lines for a terminal.

Every label came from a child's output, so every one is escaped where it lands: for DOT
(quotes, backslashes, control characters), for HTML, and for the terminal
(``terminal.printable``). The wait-for graph is Graphviz's ``dot -Tsvg``, run bounded in
time and size; without dot, or when it fails, the graph is a table of its edges. The
SVG is inlined without its XML prologue and namespaces, so the page loads nothing.
A case record's layout diffs (ABI drift) are drawn here too: a table of both versions
side by side with byte lanes in HTML, a compact table in a terminal, and, when a
verdict's ruler fits a drifted struct, both versions' fields on the ruler.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

from ..lab.layouts import Declaration, LayoutDiff, Slot
from ..lab.pictures import ByteStrip, Lifeline, Picture, RacePair, Ruler, StructOnRuler, WaitForGraph, struct_on_ruler
from .terminal import fit, printable

DOT_TIMEOUT_S = 10.0
MAX_SVG = 512 * 1024
# Graphs one page asks dot to draw; the others are shown as their tables of edges. A real run has a few
# deadlocks; a tampered results file could hold thousands, each a dot child of up to DOT_TIMEOUT_S.
MAX_GRAPHS_DRAWN = 24
RULER_COLUMNS = 40


def _e(text) -> str:
    """Escaped for HTML, controls and bidi overrides shown as their escapes, as on a terminal."""
    return html.escape(printable(str(text)).encode("utf-8", "backslashreplace").decode("utf-8"), quote=True)


# -- the wait-for graph --------------------------------------------------------------------------

def _dot_string(text: str) -> str:
    """A DOT quoted string: controls shown as escapes, then backslash and quote escaped (dot reads \\n, \\l, \\N)."""
    return '"' + printable(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_source(graph: WaitForGraph) -> str:
    ids = {node.id: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["digraph waits {", "  rankdir=LR; bgcolor=\"transparent\";",
             '  node [fontname="DejaVu Sans", fontsize=11]; edge [fontname="DejaVu Sans", fontsize=10];']
    for node in graph.nodes:
        label = "\n".join((node.label, *node.frames)).replace("\\", "\\\\")
        label = "\\l".join(printable(part).replace("\\", "\\\\").replace('"', '\\"') for part in
                           (node.label, *node.frames)) + ("\\l" if node.frames else "")
        shape = 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"' if node.kind == "thread" else \
            'shape=ellipse, style=filled, fillcolor="#fff3b0"'
        lines.append(f'  {ids[node.id]} [label="{label}", {shape}];')
    for edge in graph.edges:
        if edge.source not in ids or edge.target not in ids:
            continue
        style = 'color="#b42318", fontcolor="#b42318", penwidth=2.5' if edge.in_cycle else 'color="#5f6b76"'
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]} [label={_dot_string(edge.relation)}, {style}];")
    lines.append("}")
    return "\n".join(lines)


_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def svg(graph: WaitForGraph) -> str | None:
    """The graph as inline SVG from ``dot -Tsvg``; None without dot, on its failure, or past the time or size bound."""
    dot = shutil.which("dot")
    if not dot:
        return None
    try:
        proc = subprocess.run([dot, "-Tsvg"], input=dot_source(graph).encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT_S, start_new_session=True)
    except (subprocess.TimeoutExpired, OSError):
        return None
    out = proc.stdout[:MAX_SVG + 1].decode("utf-8", "replace")
    if proc.returncode != 0 or len(out) > MAX_SVG or "<svg" not in out:
        return None
    out = _NAMESPACE.sub("", _PROLOGUE.sub("", out)).strip()
    if re.search(r"https?://|url\(", out):
        return None
    return out


def _edge_rows(graph: WaitForGraph) -> str:
    labels = {n.id: n for n in graph.nodes}
    rows = []
    for e in graph.edges:
        source, target = labels.get(e.source), labels.get(e.target)
        rows.append(f'<tr class="edge{" cycle" if e.in_cycle else ""}" data-source="{_e(e.source)}" '
                    f'data-target="{_e(e.target)}" data-relation="{_e(e.relation)}"><td>{_e(source.label if source else e.source)}</td>'
                    f'<td class="relation">{_e(e.relation)}</td><td>{_e(target.label if target else e.target)}</td>'
                    f'<td>{"cycle" if e.in_cycle else ""}</td></tr>')
    return f'<table class="edges"><thead><tr><th>from</th><th>relation</th><th>to</th><th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>'


class GraphBudget:
    """How many more wait-for graphs one page may have dot draw (``MAX_GRAPHS_DRAWN`` in all)."""

    def __init__(self, left: int = MAX_GRAPHS_DRAWN):
        self.left = left

    def take(self) -> bool:
        """True, and one fewer left, while any are left."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _graph_html(graph: WaitForGraph, budget: GraphBudget | None = None) -> str:
    spent = budget is not None and not budget.take()
    drawn = None if spent else svg(graph)
    why = (f"not drawn: this page draws {MAX_GRAPHS_DRAWN} graphs at most" if spent else "dot not found")
    threads = "".join(f'<li><code>{_e(n.label)}</code>: {"; ".join(_e(f) for f in n.frames) or "no frames"}</li>'
                      for n in graph.nodes if n.kind == "thread")
    body = f'<div class="graph">{drawn}</div>' if drawn else f'<p class="muted no-dot">({why}: the edges as a table)</p>'
    return (f'<h5>wait-for graph <span class="muted">from {_e(graph.source)}; the cycle in red</span></h5>{body}'
            f'<details class="edges-table"{"" if drawn else " open"}><summary>edges ({len(graph.edges)}, '
            f'{len(graph.cycle)} on the cycle)</summary>{_edge_rows(graph)}<ul class="threads">{threads}</ul></details>')


# -- the others, in HTML and CSS ------------------------------------------------------------------

def _lifeline_html(line: Lifeline) -> str:
    events = "".join(
        f'<li class="event" data-what="{_e(ev.what)}"><span class="what">{_e(ev.what)}</span>'
        f'<span class="event-title">{_e(ev.title)}</span><ol class="frames">'
        f'{"".join(f"<li><code>{_e(f)}</code></li>" for f in ev.frames)}</ol></li>' for ev in line.events)
    block = f' <span class="muted">{_e(line.block)}</span>' if line.block else ""
    return f'<h5>allocation lifeline{block}</h5><ol class="lifeline">{events}</ol>'


def _ruler_html(r: Ruler, fields: StructOnRuler | None = None) -> str:
    low, high = min(r.block_start, r.access_start), max(r.block_end, r.access_end)
    if fields is not None:
        # Zoomed to the struct: the block's earlier bytes (cffi's object header) are not drawn.
        low = min(fields.struct_start, r.access_start)
        high = max(high, fields.struct_start + (fields.other.size or 0))
    span = max(high - low, 1)
    hidden = max(low - r.block_start, 0)

    def bar(start: int, end: int, cls: str, text: str, title: str = "") -> str:
        left, width = 100 * (start - low) / span, max(100 * (end - start) / span, 0.8)
        hover = f' title="{_e(title)}"' if title else ""
        return f'<div class="{cls}" style="left:{left:.2f}%;width:{width:.2f}%"{hover}><span>{_e(text)}</span></div>'

    lanes = ""
    if fields is not None:
        outside = set(fields.fields_outside)
        for version, declaration, label in ((fields.block_version, fields.in_block, "ending where the block ends"),
                                            ("new" if fields.block_version == "old" else "old", fields.other, "")):
            tag = fields.layout.old_label if version == "old" else fields.layout.new_label
            slots = "".join(
                bar(fields.struct_start + s.offset, fields.struct_start + s.offset + s.size,
                    "field past-end" if version != fields.block_version and s.name in outside else "field",
                    s.name, f"{tag} {s.name}: {s.type}, offset {s.offset}, {s.size} B")
                for s in declaration.slots if s.offset is not None and s.size)
            lanes += (f'<div class="lane" data-version="{_e(tag)}"><p class="lane-caption">{_e(tag)} {_e(declaration.name)} '
                      f'({declaration.size} B{", " + label if label else ""})</p><div class="lane-fields">{slots}</div></div>')
        lanes = f'<div class="struct-lanes on-ruler" data-struct="{_e(fields.layout.name)}">{lanes}</div>'
    outside_note = ""
    if fields is not None and fields.fields_outside:
        other = fields.layout.new_label if fields.block_version == "old" else fields.layout.old_label
        outside_note = (f'<p class="fields-outside">{_e(r.access)} outside the block: {_e(other)} '
                        f'{", ".join(f"<code>{_e(n)}</code>" for n in fields.fields_outside)}</p>')
    return (f'<h5>memory ruler{" with the fields of " + _e(fields.layout.name) if fields else ""}</h5>'
            f'<div class="ruler" data-access="{_e(r.access)}" data-beyond="{r.beyond}" '
            f'data-bytes-outside="{r.bytes_outside}" '
            f'data-block-size="{r.block_size}" data-access-size="{r.access_size}">'
            + bar(max(r.block_start, low), r.block_end, "block" + (" clipped" if hidden else ""),
                  f"block {r.block_size} B" + (f" (its first {hidden} B not drawn)" if hidden else ""))
            + bar(r.access_start, r.access_end, f"access {r.access.lower()}", f"{r.access} {r.access_size} B")
            + f'</div>{lanes}{outside_note}<p class="ruler-legend">block <code>[{r.block_start:#x}, {r.block_end:#x})</code> · '
              f'{_e(r.access)} <code>[{r.access_start:#x}, {r.access_end:#x})</code> at offset {r.access_start - r.block_start} · '
              f'<strong class="outside">{_reach(r)}</strong>'
              f' <span class="muted">(ASan: {r.distance} bytes {_e(r.relation)} the block)</span></p>')


def _reach(r: Ruler) -> str:
    """``reaches 5 bytes past the end (1 byte outside the block)``."""
    if not r.bytes_outside:
        return "inside the block"
    where = "past the end" if r.past_the_end else "before the start"
    return (f"reaches {r.beyond} byte{'' if r.beyond == 1 else 's'} {where} "
            f"({r.bytes_outside} byte{'' if r.bytes_outside == 1 else 's'} outside the block)")


def _hex(data) -> str:
    return " ".join(f"{b:02X}" for b in data)


def _strip_html(strip: ByteStrip) -> str:
    head, utf8, seen = [], [], []
    for c in strip.cells:
        cls = " ".join(n for n, on in (("differs", c.differs), ("failed", c.failed_here)) if on)
        char = f"{_e(c.char)}<br><small>U+{c.code_point:04X}</small>" if c.code_point is not None else "?"
        head.append(f'<td class="{cls}">{char}</td>')
        utf8.append(f'<td class="{cls}">{_hex(c.expected)}</td>')
        seen.append(f'<td class="{cls}" data-start="{"" if c.start is None else c.start}">{_hex(c.produced) or "·"}</td>')
    failed = (f'<p>the decoder failed at byte {strip.position}: {_e(strip.reason)}</p>' if strip.position is not None else "")
    result = f'<p>what came back: <code>{_e(strip.result)}</code></p>' if strip.result else ""
    return (f'<h5>byte strip <span class="muted">differing bytes marked</span></h5><table class="byte-strip"><tbody>'
            f'<tr><th>text</th>{"".join(head)}</tr><tr><th>UTF-8</th>{"".join(utf8)}</tr>'
            f'<tr><th>produced</th>{"".join(seen)}</tr></tbody></table>{failed}{result}')


def _race_html(race: RacePair) -> str:
    sides = "".join(
        f'<div class="access" data-operation="{_e(a.operation)}"><strong>{_e(a.thread)}</strong>: {_e(a.operation)} of '
        f'{a.size} bytes at <code>{_e(a.address)}</code><br>locks held: {_e(a.mutexes) or "none"}'
        f'<ol class="frames">{"".join(f"<li><code>{_e(f)}</code></li>" for f in a.frames)}</ol></div>'
        for a in race.accesses)
    return (f'<h5>data race: two accesses <span class="muted">locks in common: {_e(race.common_locks) or "none"}</span></h5>'
            f'<div class="race">{sides}</div>')


# -- a layout diff (ABI drift) -------------------------------------------------------------------

def cell_text(declaration: Declaration, slot: Slot | None) -> str:
    """One version of a slot in words: ``[4, 8) int32_t``, ``int64_t, 8 B``, ``= 2``; "-" when it is absent."""
    if slot is None:
        return "-"
    if declaration.kind == "enum":
        return f"= {slot.value}"
    size = "?" if slot.size is None else f"{slot.size} B"
    if slot.offset is not None:
        end = "?" if slot.size is None else slot.offset + slot.size
        return f"[{slot.offset}, {end}) {slot.type}"
    return f"{slot.type}, {size}"


def _size_words(declaration: Declaration) -> str:
    return f"{declaration.size} bytes" if declaration.size is not None else "no size"


def _lanes_html(diff: LayoutDiff) -> str:
    """Both versions of a struct as byte lanes on one scale, each field a box at its offset; the drifted ones marked."""
    span = max(diff.old.size or 0, diff.new.size or 0, 1)
    changes = {row.name: row.change for row in diff.rows}
    lanes = []
    for label, declaration in ((diff.old_label, diff.old), (diff.new_label, diff.new)):
        boxes = "".join(
            f'<div class="field {_e(changes.get(s.name, ""))}" style="left:{100 * s.offset / span:.2f}%;'
            f'width:{max(100 * s.size / span, 0.8):.2f}%" title="{_e(s.name)}: {_e(s.type)}, offset {s.offset}, {s.size} B">'
            f'<span>{_e(s.name)}</span></div>'
            for s in declaration.slots if s.offset is not None and s.size and s.offset + s.size <= span)
        lanes.append(f'<div class="lane" data-version="{_e(label)}"><span class="lane-label">{_e(label)} '
                     f'({_e(_size_words(declaration))})</span><div class="lane-fields">{boxes}</div></div>')
    return f'<div class="struct-lanes">{"".join(lanes)}</div>'


def _layout_html(diff: LayoutDiff) -> str:
    rows = "".join(
        f'<tr class="slot{" changed" if row.change else ""}" data-name="{_e(row.name)}" data-change="{_e(row.change)}">'
        f'<th scope="row"><code>{_e(row.name)}</code></th><td>{_e(cell_text(diff.old, row.old))}</td>'
        f'<td>{_e(cell_text(diff.new, row.new))}</td><td class="change">{_e(row.change)}</td></tr>' for row in diff.rows)
    sizes = "" if diff.kind == "function" else f" · {_e(_size_words(diff.old))} → {_e(_size_words(diff.new))}"
    lanes = _lanes_html(diff) if diff.kind in ("struct", "union") else ""
    return (f'<h5>layout diff: <code>{_e(diff.name)}</code> <span class="muted">{_e(diff.old_label)} → '
            f'{_e(diff.new_label)}{sizes}; what drifted marked</span></h5>{lanes}'
            f'<table class="layout-diff" data-name="{_e(diff.name)}" data-kind="{_e(diff.kind)}"><thead><tr><th></th>'
            f'<th title="{_e(diff.old_header)}">{_e(diff.old_label)}</th><th title="{_e(diff.new_header)}">{_e(diff.new_label)}</th>'
            f'<th></th></tr></thead><tbody>{rows}</tbody></table>'
            f'<p class="muted">laid out by cffi from <code>{_e(diff.old_header)}</code> and <code>{_e(diff.new_header)}</code></p>')


def layouts_panel(layouts) -> str:
    """Every recorded layout diff of a case, each a picture; "" when it has none."""
    return "".join(f'<div class="picture" data-picture="{_e(LayoutDiff.picture)}">{_layout_html(diff)}</div>'
                   for diff in layouts)


_HTML = {WaitForGraph: _graph_html, Lifeline: _lifeline_html, Ruler: _ruler_html, ByteStrip: _strip_html,
         RacePair: _race_html, StructOnRuler: lambda drawn: _ruler_html(drawn.ruler, drawn)}


def to_html(picture: Picture, graphs: GraphBudget | None = None) -> str:
    """The picture as HTML; a wait-for graph is drawn by dot while ``graphs`` has any left (None: always)."""
    body = _graph_html(picture, graphs) if isinstance(picture, WaitForGraph) else _HTML[type(picture)](picture)
    return f'<div class="picture" data-picture="{_e(picture.picture)}">{body}</div>'


def with_layouts(drawn: Picture | None, layouts=()) -> Picture | None:
    """``drawn``, or its ruler with a recorded struct's fields on it when one fits (``struct_on_ruler``)."""
    if isinstance(drawn, Ruler) and layouts:
        return struct_on_ruler(drawn, layouts) or drawn
    return drawn


def picture_panel(run, layouts=(), graphs: GraphBudget | None = None) -> str:
    """The picture of a run's verdict (a ``CaseRun``), with its case's recorded layouts where they fit; "" when none."""
    drawn = with_layouts(run.picture if run is not None else None, layouts)
    return to_html(drawn, graphs) if drawn is not None else ""


# -- in a terminal --------------------------------------------------------------------------------

def _cycle_path(graph: WaitForGraph) -> str:
    following = {e.source: e for e in graph.edges if e.in_cycle}
    labels = {n.id: n.label for n in graph.nodes}
    start = next((e.source for e in graph.edges if e.in_cycle and e.relation == "waits for"), None)
    if start is None:
        return ""
    parts, node, seen = [labels.get(start, start)], start, set()
    while node in following and node not in seen:
        seen.add(node)
        edge = following[node]
        parts.append(f"-{edge.relation}-> {labels.get(edge.target, edge.target)}")
        node = edge.target
    return " ".join(parts)


def _graph_text(graph: WaitForGraph) -> list[str]:
    cycle = _cycle_path(graph)
    lines = [f"wait-for graph (from {graph.source}):"]
    lines += [f"  cycle: {cycle}"] if cycle else [f"  {e.source} -{e.relation}-> {e.target}" for e in graph.edges[:8]]
    lines += [f"  {n.label}: {'; '.join(n.frames[:2])}" for n in graph.nodes if n.kind == "thread" and n.frames][:6]
    return lines


def _lifeline_text(line: Lifeline) -> list[str]:
    lines = [f"lifeline of the block{' ' + line.block if line.block else ''}:"]
    for i, ev in enumerate(line.events, 1):
        lines.append(f"  {i}. {ev.what:<11} {ev.frames[0] if ev.frames else ev.title}")
        lines += [f"     {'':<11} {f}" for f in ev.frames[1:2]]
    return lines


def _ruler_text(r: Ruler, fields: StructOnRuler | None = None) -> list[str]:
    low, high = min(r.block_start, r.access_start), max(r.block_end, r.access_end)
    if fields is not None:
        low = min(fields.struct_start, r.access_start)
        high = max(high, fields.struct_start + (fields.other.size or 0))
    hidden = max(low - r.block_start, 0)
    scale = RULER_COLUMNS / max(high - low, 1)
    column = lambda address: min(RULER_COLUMNS, round((address - low) * scale))  # noqa: E731

    def lane(spans) -> str:
        cells = [" "] * RULER_COLUMNS
        for start, end, mark in spans:
            for i in range(column(start), max(column(end), column(start) + 1)):
                cells[min(i, RULER_COLUMNS - 1)] = mark
        return "".join(cells)

    lines = ["memory ruler:", f"  block  |{lane([(max(r.block_start, low), r.block_end, '=')])}| {r.block_size} bytes"
             + (f", {hidden} not shown" if hidden else ""),
             f"  {r.access:<6} |{lane([(r.access_start, r.access_end, '^')])}| {r.access_size} "
             f"byte{'' if r.access_size == 1 else 's'} at offset {r.access_start - r.block_start}"]
    if fields is not None:
        for declaration in (fields.in_block, fields.other):
            label = fields.layout.old_label if declaration is fields.layout.old else fields.layout.new_label
            slots = [s for s in declaration.slots if s.offset is not None and s.size][:26]
            marks = [(fields.struct_start + s.offset, fields.struct_start + s.offset + s.size, chr(ord("a") + i))
                     for i, s in enumerate(slots)]
            legend = "  ".join(f"{chr(ord('a') + i)} {s.name}" for i, s in enumerate(slots))
            lines += [f"  {label[:6]:<6} |{lane(marks)}| {declaration.size} bytes",
                      f"  {'':<6}  {legend}"]
    lines.append(f"  {r.access} {_reach(r)}")
    if fields is not None and fields.fields_outside:
        other = fields.layout.new_label if fields.block_version == "old" else fields.layout.old_label
        lines.append(f"  {r.access} outside the block: {other} {', '.join(fields.fields_outside)}")
    return lines


def layout_text(diff: LayoutDiff) -> list[str]:
    """A layout diff as a compact table: one row per slot, both versions side by side, what drifted named."""
    sizes = "" if diff.kind == "function" else f": {diff.old_label} {_size_words(diff.old)}, {diff.new_label} {_size_words(diff.new)}"
    rows = diff.rows
    name_width = min(max((len(r.name) for r in rows), default=4), 20)
    cells = [(cell_text(diff.old, r.old), cell_text(diff.new, r.new)) for r in rows]
    cell_width = min(max((len(c) for pair in cells for c in pair), default=4), 24)
    lines = [f"layout diff of {diff.name}{sizes}",
             f"  {'':<{name_width}}  {diff.old_label[:cell_width]:<{cell_width}}  {diff.new_label[:cell_width]:<{cell_width}}"]
    for row, (old, new) in zip(rows, cells):
        lines.append(f"  {row.name:<{name_width}}  {old:<{cell_width}}  {new:<{cell_width}}  {row.change}".rstrip())
    return lines


def _strip_text(strip: ByteStrip) -> list[str]:
    lines = ["byte strip:"]
    shown = [c for c in strip.cells if c.differs or c.failed_here or not c.produced][:6]
    for c in shown:
        char = f"{c.char} U+{c.code_point:04X}" if c.code_point is not None else "?"
        produced = f"  produced {_hex(c.produced)}" if c.produced else ""
        mark = "  <- the decoder failed here" if c.failed_here else ""
        lines.append(f"  {char:<10} UTF-8 {_hex(c.expected) or '-':<12}{produced}{mark}")
    if strip.position is not None:
        lines.append(f"  decode failed at byte {strip.position}: {strip.reason}")
    if strip.result:
        lines.append(f"  came back as {strip.result!r}")
    return lines


def _race_text(race: RacePair) -> list[str]:
    lines = ["data race: two accesses, locks in common: " + (race.common_locks or "none")]
    for a in race.accesses:
        lines.append(f"  {a.thread}: {a.operation} {a.size} bytes at {a.address} in {a.frames[0] if a.frames else '?'}"
                     f" (locks: {a.mutexes or 'none'})")
    return lines


_TEXT = {WaitForGraph: _graph_text, Lifeline: _lifeline_text, Ruler: _ruler_text, ByteStrip: _strip_text,
         RacePair: _race_text, StructOnRuler: lambda drawn: _ruler_text(drawn.ruler, drawn), LayoutDiff: layout_text}


def to_text(picture: Picture | LayoutDiff, width: int = 80, indent: str = "    ") -> list[str]:
    """A few lines for a terminal, each escaped with ``printable`` and fitted to ``width``."""
    return [piece for line in _TEXT[type(picture)](picture) for piece in fit(printable(line), width, indent)]
