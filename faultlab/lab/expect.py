"""What a case pins about its broken variant's verdict, compiler-rt's CHECK lines in one value.

A sanitizer test in compiler-rt does not stop at the error's name: under the bad line it
checks ``READ of size 1 at ...`` and ``#0 ... in the_function``. ``Expect`` does the same
for a case: the kind, and optionally the frame where the fault bites and the access the
sanitizer saw, so a broken driver that crashes somewhere else with the same kind fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from ..diagnosis.kinds import KINDS
from ..diagnosis.verdict import Frame, Verdict

ACCESSES = ("READ", "WRITE")
# Kinds whose reports name the access: ASan's memory errors ("READ of size 4 at 0x602000008a50
# thread T0") and TSan's races ("  Read of size 8 at 0x7f6bd65c5050 by thread T1:").
ACCESS_KINDS = frozenset({
    "heap-use-after-free", "heap-buffer-overflow", "stack-buffer-overflow", "global-buffer-overflow",
    "stack-use-after-return", "stack-use-after-scope", "use-after-poison", "data-race",
})
# The first such line is the faulting access; TSan's "Previous write of size ..." is the other side.
_ACCESS_LINE = re.compile(r"^\s*(?:Atomic )?(READ|WRITE|Read|Write|read|write) of size \d+")


def decisive_frame(verdict: Verdict) -> Frame | None:
    """The frame a pin's ``frame`` names: the first meaningful native frame, else the first meaningful Python frame.

    "Meaningful" is ``faultlab.diagnosis.signature.meaningful`` (no libc, libpython, libffi,
    ``_cffi_backend``, sanitizer runtimes or faultlab frames), and the order is the
    signature's: a native stack that names a function of the library wins; the Python
    stack (innermost call first) speaks only when the native one says nothing. None when
    neither has a meaningful frame.
    """
    # Imported here: declaring a case (in every child) needs none of the report sources matching does.
    from ..diagnosis.signature import meaningful

    frames = meaningful(verdict.native_stack) or meaningful(verdict.python_stack)
    return frames[0] if frames else None


def observed_access(verdict: Verdict) -> str | None:
    """READ or WRITE from the first access line of the verdict's evidence, or None when it has none."""
    for line in verdict.evidence:
        found = _ACCESS_LINE.match(line)
        if found:
            return found.group(1).upper()
    return None


@dataclass(frozen=True)
class Expect:
    """The broken variant's expected verdict: its kind and, optionally, where and how it bites.

    ``frame`` is compared exactly with the function of ``decisive_frame(verdict)``;
    ``module`` (a file or shared object's base name, ``"retained_buffer.c"``) with that
    frame's module; ``access`` (READ or WRITE) with ``observed_access(verdict)``, and only
    kinds whose reports name the access (``ACCESS_KINDS``) may pin it. ``str()`` reads like
    the expectation: ``heap-use-after-free in rb_checksum (READ)``.
    """

    kind: str
    frame: str | None = None
    access: str | None = None
    module: str | None = None

    def pins(self) -> dict[str, str]:
        """The pinned fields beyond the kind, for JSON: ``{"frame": "rb_checksum", "access": "READ"}``."""
        return {name: value for name, value in (("frame", self.frame), ("module", self.module),
                                                 ("access", self.access)) if value is not None}

    def problems(self) -> list[str]:
        """What is wrong with this declaration, in the catalog's words; empty when nothing is."""
        problems = []
        if self.kind not in KINDS or self.kind == "ok":
            problems.append(f"expected kind {self.kind!r} is not a fault kind")
        if self.access is not None:
            if self.access not in ACCESSES:
                problems.append(f"access {self.access!r} must be READ or WRITE")
            elif self.kind not in ACCESS_KINDS:
                problems.append(f"access cannot be pinned for {self.kind}: its reports do not name one")
        if self.module is not None and self.frame is None:
            problems.append("module pins the frame's file; name the frame too")
        return problems

    def mismatches(self, verdict: Verdict) -> list[str]:
        """The fields that the verdict does not match (kind, frame, module, access); empty when it passes."""
        frame = decisive_frame(verdict)
        wrong = []
        if verdict.kind != self.kind:
            wrong.append("kind")
        if self.frame is not None and (frame is None or frame.function != self.frame):
            wrong.append("frame")
        if self.module is not None and (frame is None or PurePath(frame.module).name != self.module):
            wrong.append("module")
        if self.access is not None and observed_access(verdict) != self.access:
            wrong.append("access")
        return wrong

    def mismatch(self, verdict: Verdict) -> str:
        """Why the verdict fails this expectation, for a person; empty when it passes.

        ``expected heap-use-after-free in rb_checksum (READ), observed heap-use-after-free in
        rb_other (READ): the frame differs``; the observed side shows the fields this
        expectation pins, so the two read alike.
        """
        wrong = self.mismatches(verdict)
        if not wrong:
            return ""
        text = f"expected {self}, observed {self.observed(verdict)}"
        pins = [w for w in wrong if w != "kind"]
        if pins:
            text += f": the {' and the '.join(pins)} {'differ' if len(pins) > 1 else 'differs'}"
        return text

    def observed(self, verdict: Verdict) -> str:
        """The verdict described with the fields this expectation pins."""
        frame = decisive_frame(verdict)
        function = (frame.function if frame else "no meaningful frame") if self.frame is not None else None
        module = (PurePath(frame.module).name if frame else None) if self.module is not None else None
        access = (observed_access(verdict) or "no access") if self.access is not None else None
        return _describe(verdict.kind, function, module, access)

    def __str__(self) -> str:
        return _describe(self.kind, self.frame, self.module, self.access)


def _describe(kind: str, function: str | None, module: str | None, access: str | None) -> str:
    text = kind + (f" in {function}" if function else "")
    details = [d for d in (module, access) if d]
    return text + (f" ({', '.join(details)})" if details else "")


def as_expect(declared: Expect | str) -> Expect:
    """A case's ``expect=`` value: a bare kind string means ``Expect(kind)``."""
    return declared if isinstance(declared, Expect) else Expect(declared)
