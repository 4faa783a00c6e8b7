"""A picture of each failure, as plain data computed from its verdict alone.

One model per kind of picture, each a small frozen dataclass that serialises to JSON:
a ``WaitForGraph`` for deadlocks and lock-order inversions (threads and locks, "waits
for" and "held by" edges, the cycle marked), a ``Lifeline`` for use-after-free and double
free (allocated by, freed by, then used or freed again, each with its top frames), a
``Ruler`` for buffer overflows (the block, the access, the distance past the end), a
``ByteStrip`` for encoding corruption (the text's UTF-8 bytes against the bytes seen, the
failing position) and a ``RacePair`` for data races (the two accesses, the locks each
held). ``picture(verdict)`` chooses by the verdict's kind and reads only the verdict:
its evidence, stacks, report stacks and lock waits; never the case. Everything is
bounded (nodes, frames, bytes, label lengths), since all of it came from a child's output.

ABI drift's layout diff (``faultlab.lab.layouts.LayoutDiff``) is a fact about two headers,
recorded with the case, not read from a run; ``struct_on_ruler`` lays a recorded struct's
fields on a verdict's ruler when the block is exactly one version of the struct and the
access lands inside the other. Rendering (SVG, HTML, terminal text) is
``faultlab.reports.pictures``'s.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass

from ..diagnosis.signature import meaningful
from ..diagnosis.verdict import Verdict
from . import mutf8
from .layouts import Declaration, LayoutDiff

MAX_LABEL = 120
MAX_NODES = 40
TOP_FRAMES = 3
MAX_BYTES = 64


def _label(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def _frames(frames, limit: int = TOP_FRAMES) -> tuple[str, ...]:
    """The top meaningful frames as labels (all frames when none is meaningful)."""
    named = [f for f in frames if not f.function.startswith(("0x", "??", "<null>"))]
    shown = meaningful(named)[:limit] or named[:limit]
    return tuple(_label(str(f)) for f in shown)


class _Model:
    def to_dict(self) -> dict:
        return {"picture": self.picture, **dataclasses.asdict(self)}


# -- wait-for graph -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # "thread" or "lock"
    label: str
    frames: tuple[str, ...] = ()  # a thread's top Python and native frames


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    relation: str  # "waits for" (thread -> lock) or "held by" (lock -> thread)
    in_cycle: bool = False


@dataclass(frozen=True)
class WaitForGraph(_Model):
    picture = "wait-for-graph"
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    source: str  # where the edges came from: "the stopped process" or "ThreadSanitizer's report"

    @property
    def cycle(self) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.in_cycle)


def _mark_cycles(edges: list[Edge]) -> tuple[Edge, ...]:
    """Every edge that lies on a cycle: both ends reach each other."""
    following: dict[str, set[str]] = {}
    for e in edges:
        following.setdefault(e.source, set()).add(e.target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(following.get(node, ()))
        return False

    return tuple(dataclasses.replace(e, in_cycle=reaches(e.target, e.source)) for e in edges)


def _graph_from_waits(verdict: Verdict) -> WaitForGraph | None:
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for w in verdict.lock_waits[:MAX_NODES]:
        frames = tuple(f"py {_label(str(f))}" for f in w.python[:1]) + tuple(f"c  {_label(str(f))}" for f in w.native[:2])
        nodes[w.thread] = Node(_label(w.thread), "thread", _label(w.thread), frames)
    for w in verdict.lock_waits[:MAX_NODES]:
        if not w.lock:
            continue
        lock = _label(w.lock)
        nodes.setdefault(lock, Node(lock, "lock", lock))
        edges.append(Edge(_label(w.thread), lock, "waits for"))
        if w.owner:
            nodes.setdefault(_label(w.owner), Node(_label(w.owner), "thread", _label(w.owner)))
            edges.append(Edge(lock, _label(w.owner), "held by"))
    if not edges:
        return None
    return WaitForGraph(tuple(nodes.values())[:MAX_NODES], _mark_cycles(edges), "the stopped process")


_CYCLE_MUTEX = re.compile(r"\b(M\d+) \((0x[0-9a-f]+)\)")
_ACQUIRED = re.compile(r"^Mutex (M\d+) acquired here while holding mutex (M\d+) in (thread T\d+|main thread)")


def _graph_from_tsan(verdict: Verdict) -> WaitForGraph | None:
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for stack in verdict.report_stacks:
        if stack.title.startswith("Cycle in lock order graph:"):
            for name, address in _CYCLE_MUTEX.findall(stack.title)[:MAX_NODES // 2]:
                nodes.setdefault(name, Node(name, "lock", f"mutex {name} {address}"))
        m = _ACQUIRED.match(stack.title)
        if m and len(nodes) < MAX_NODES:
            wanted, held, thread = m.groups()
            nodes.setdefault(thread, Node(thread, "thread", thread, tuple(f"c  {f}" for f in _frames(stack.frames, 2))))
            for name in (wanted, held):
                nodes.setdefault(name, Node(name, "lock", f"mutex {name}"))
            edges += [Edge(held, thread, "held by"), Edge(thread, wanted, "waits for")]
    if not edges:
        return None
    return WaitForGraph(tuple(nodes.values()), _mark_cycles(edges), "ThreadSanitizer's report")


# -- allocation lifeline --------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    what: str  # "allocated", "freed", "used", "freed again"
    title: str  # the report's line for it
    frames: tuple[str, ...]  # native frames, then the Python frames that called them


@dataclass(frozen=True)
class Lifeline(_Model):
    picture = "lifeline"
    block: str  # "124-byte region [0x..,0x..)" when the report says
    events: tuple[Event, ...]  # in time order


# The numbers parsed out of a report have at most 1,000 digits: a report's have 20 (2**64 does), a forged
# one's may be far longer, and past 4,300 digits int() refuses it.
_REGION = re.compile(r"(?<!\d)(\d{1,1000})-byte region \[(0x[0-9a-f]+),\s*(0x[0-9a-f]+)\)")


def _lifeline(verdict: Verdict) -> Lifeline | None:
    stacks = verdict.report_stacks
    allocated = next((s for s in stacks if "allocated by" in s.title), None)
    freed = next((s for s in stacks if s.title.startswith("freed by")), None)
    last = "freed again" if verdict.kind == "double-free" else "used"
    python = tuple(f"py {_label(str(f))}" for f in meaningful(verdict.python_stack)[:2])
    final_title = stacks[0].title if stacks else (verdict.evidence[0] if verdict.evidence else verdict.summary)
    final_frames = stacks[0].frames if stacks else verdict.native_stack
    events = [Event(what, _label(s.title), _frames(s.frames)) for what, s in (("allocated", allocated), ("freed", freed)) if s]
    events.append(Event(last, _label(final_title), _frames(final_frames) + python))
    region = next((m for line in verdict.evidence if (m := _REGION.search(line))), None)
    return Lifeline(_label(region.group(0)) if region else "", tuple(events))


# -- memory ruler ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ruler(_Model):
    picture = "ruler"
    access: str  # READ or WRITE
    access_start: int
    access_size: int
    block_start: int
    block_size: int
    relation: str  # "to the right of", "to the left of", "inside of"
    distance: int  # as the report says: bytes from the block's edge to the address it names

    @property
    def block_end(self) -> int:
        return self.block_start + self.block_size

    @property
    def access_end(self) -> int:
        return self.access_start + self.access_size

    @property
    def beyond(self) -> int:
        """How far the access reaches past the block's end (or before its start): the overflow distance."""
        return max(self.access_end - self.block_end, self.block_start - self.access_start, 0)

    @property
    def past_the_end(self) -> bool:
        return self.access_end > self.block_end

    @property
    def bytes_outside(self) -> int:
        """How many of the accessed bytes lie outside the block."""
        inside = max(0, min(self.access_end, self.block_end) - max(self.access_start, self.block_start))
        return self.access_size - inside


_ACCESS = re.compile(r"\b(READ|WRITE) of size (\d{1,1000}) at (0x[0-9a-f]+)")
_LOCATED = re.compile(r"is located (\d{1,1000}) bytes (to the right of|to the left of|inside of) (\d{1,1000})-byte region "
                      r"\[(0x[0-9a-f]+),\s*(0x[0-9a-f]+)\)")


def _ruler(verdict: Verdict) -> Ruler | None:
    access = next((m for line in verdict.evidence if (m := _ACCESS.search(line))), None)
    located = next((m for line in verdict.evidence if (m := _LOCATED.search(line))), None)
    if not (access and located):
        return None
    return Ruler(access.group(1), int(access.group(3), 16), int(access.group(2)), int(located.group(4), 16),
                 int(located.group(3)), located.group(2), int(located.group(1)))


@dataclass(frozen=True)
class StructOnRuler(_Model):
    """A ruler whose block ends with one version of a drifted struct: both versions' fields drawn from its start."""

    picture = "ruler"
    ruler: Ruler
    layout: LayoutDiff
    block_version: str  # "old" when the block holds the older struct (the binding allocated it), else "new"
    struct_start: int  # the address the struct starts at: the block's end less the block version's size

    @property
    def in_block(self) -> Declaration:
        return self.layout.old if self.block_version == "old" else self.layout.new

    @property
    def other(self) -> Declaration:
        return self.layout.new if self.block_version == "old" else self.layout.old

    @property
    def fields_outside(self) -> tuple[str, ...]:
        """The other version's fields the access touched past the block's end: what was read or written out of bounds."""
        r = self.ruler
        start, end, block_end = (a - self.struct_start for a in (r.access_start, r.access_end, r.block_end))
        return tuple(s.name for s in self.other.slots if s.offset is not None and s.size
                     and s.offset < end and s.offset + s.size > start and s.offset + s.size > block_end)


def struct_on_ruler(ruler: Ruler, layouts) -> StructOnRuler | None:
    """The ruler with a recorded struct's fields, when the overflow is that struct's drift; None when none fits.

    It fits when one version of the struct ends exactly at the block's end (a struct
    allocated by itself, or at the end of the object that holds it, as cffi's ``ffi.new``
    does), the other version is larger, and the access reaches past the block's end
    from the struct's start or from one of the larger version's fields, staying inside
    it: the library touched the struct as its own header lays it out.
    """
    if ruler.access_end <= ruler.block_end:
        return None
    for diff in layouts:
        if diff.kind not in ("struct", "union"):
            continue
        for block_version, inside, other in (("old", diff.old, diff.new), ("new", diff.new, diff.old)):
            if inside.size is None or other.size is None or other.size <= inside.size:
                continue
            start = ruler.block_end - inside.size
            offset = ruler.access_start - start
            starts = {0} | {s.offset for s in other.slots if s.offset is not None}
            if start >= ruler.block_start and offset in starts and offset + ruler.access_size <= other.size:
                return StructOnRuler(ruler, diff, block_version, start)
    return None


# -- byte strip -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One character: its code point, its standard UTF-8 bytes, and the bytes the program produced for it."""

    char: str  # "" for a byte that encodes nothing
    code_point: int | None
    expected: tuple[int, ...]  # standard UTF-8
    produced: tuple[int, ...]  # () when the evidence does not show the bytes
    start: int | None = None  # the produced bytes' position in the decoded input
    failed_here: bool = False  # the decoder's failing position is in this cell

    @property
    def differs(self) -> bool:
        return bool(self.produced) and self.produced != self.expected


@dataclass(frozen=True)
class ByteStrip(_Model):
    picture = "byte-strip"
    cells: tuple[Cell, ...]
    position: int | None  # the decoder's failing position
    reason: str  # the decoder's words ("invalid continuation byte")
    result: str = ""  # what a lenient decode made of the text, when the evidence says


_DECODE = re.compile(r"codec can't decode bytes? (?:0x([0-9a-f]{2}) )?in position (\d{1,1000})(?:-\d+)?: ([^\n]{0,200})")
_SEEN = re.compile(r"could not decode, from byte (\d{1,1000}) of \d+: ((?:[0-9a-f]{2} ?){1,64})")
_CHANGED = re.compile(r"changed ('(?:[^'\\]|\\.){0,400}') into ('(?:[^'\\]|\\.){0,400}')")
MAX_CELLS = 48


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _one_char(chunk: bytes, decode) -> str | None:
    try:
        text = decode(chunk)
    except (UnicodeDecodeError, ValueError):
        return None
    return text if len(text) == 1 else None


def _cells_of_bytes(data: bytes, offset: int, position: int | None) -> tuple[Cell, ...]:
    """``data`` cut into characters: standard UTF-8 where it is, modified UTF-8 (a surrogate pair, C0 80) where not."""
    cells, i = [], 0
    while i < len(data) and len(cells) < MAX_CELLS:
        for n, decode in ((1, bytes.decode), (2, bytes.decode), (3, bytes.decode), (4, bytes.decode),
                          (6, mutf8.decode), (2, mutf8.decode)):
            chunk = data[i:i + n]
            char = _one_char(chunk, decode) if len(chunk) == n else None
            if char is not None:
                break
        else:
            chunk, char = data[i:i + 1], ""
        start = offset + i
        cells.append(Cell(char, ord(char) if char else None, tuple(char.encode("utf-8", "surrogatepass")) if char else (),
                          tuple(chunk), start, position is not None and start <= position < start + len(chunk)))
        i += len(chunk)
    return tuple(cells)


def _byte_strip(verdict: Verdict) -> ByteStrip | None:
    position, reason, failing, result = None, "", None, ""
    cells: tuple[Cell, ...] = ()
    for line in verdict.evidence:
        if (m := _DECODE.search(line)) and position is None:
            position, reason = int(m.group(2)), m.group(3).strip()
            failing = int(m.group(1), 16) if m.group(1) else None
    for line in verdict.evidence:
        if (m := _SEEN.search(line)) and not cells:
            cells = _cells_of_bytes(bytes.fromhex(m.group(2)), int(m.group(1)), position)
        if (m := _CHANGED.search(line)) and not cells:
            before, after = _literal(m.group(1)), _literal(m.group(2))
            if isinstance(before, str):
                cells = tuple(Cell(c, ord(c), tuple(c.encode("utf-8", "surrogatepass")), ()) for c in before[:MAX_CELLS])
                result = _label(after) if isinstance(after, str) else ""
    if not cells and failing is not None:
        cells = (Cell("", None, (), (failing,), position, True),)
    if not cells:
        return None
    return ByteStrip(cells, position, _label(reason), result)


# -- data race ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    operation: str  # "Read", "Previous write", "Atomic write", ...
    size: int
    address: str
    thread: str
    mutexes: str  # TSan's "(mutexes: write M1)", "" when it held none
    frames: tuple[str, ...]


@dataclass(frozen=True)
class RacePair(_Model):
    picture = "data-race"
    accesses: tuple[Access, ...]

    @property
    def common_locks(self) -> str:
        held = [set(re.findall(r"M\d+", a.mutexes)) for a in self.accesses]
        return " ".join(sorted(set.intersection(*held))) if held else ""


_RACE_ACCESS = re.compile(r"^((?:Previous )?(?:[Aa]tomic )?(?:[Rr]ead|[Ww]rite)) of size (\d{1,1000}) at (0x[0-9a-f]+) "
                          r"by (thread T\d+|main thread)(?: \(mutexes: ([^)]{0,200})\))?")


def _race(verdict: Verdict) -> RacePair | None:
    accesses = []
    for stack in verdict.report_stacks:
        m = _RACE_ACCESS.match(stack.title)
        if m:
            accesses.append(Access(m.group(1), int(m.group(2)), m.group(3), m.group(4), _label(m.group(5) or ""),
                                   _frames(stack.frames)))
    return RacePair(tuple(accesses[:2])) if len(accesses) >= 2 else None


# -- choosing ---------------------------------------------------------------------------------------

Picture = WaitForGraph | Lifeline | Ruler | ByteStrip | RacePair | StructOnRuler

_BY_KIND = {
    "deadlock": (_graph_from_waits,),
    "lock-order-inversion": (_graph_from_tsan,),
    "heap-use-after-free": (_lifeline,),
    "double-free": (_lifeline,),
    "heap-buffer-overflow": (_ruler,),
    "stack-buffer-overflow": (_ruler,),
    "global-buffer-overflow": (_ruler,),
    "encoding-corruption": (_byte_strip,),
    "silent-corruption": (_byte_strip,),
    "data-race": (_race,),
}
KINDS_WITH_PICTURES = tuple(_BY_KIND)


def picture(verdict: Verdict) -> Picture | None:
    """The picture of ``verdict``'s failure, from its evidence alone; None when its kind has none or the evidence is too thin."""
    for build in _BY_KIND.get(verdict.kind, ()):
        drawn = build(verdict)
        if drawn is not None:
            return drawn
    return None
