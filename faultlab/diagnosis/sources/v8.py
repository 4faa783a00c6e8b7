"""Node.js and V8: fatal errors (an addon's napi_fatal_error, V8's API checks, out of memory) and uncaught JS errors.

Node prints a fatal error as "FATAL ERROR: <location> <message>" (``napi_fatal_error``, V8's
API checks reported through node's handler, running out of heap), its native stack
(`` 3: 0x7fed7a23122d fatal [/tmp/x/addon.node]``, node's own frames in ``[node]``) and its
JS stack (``1: [eval]:1:25``), then aborts. A V8 API check on a thread where no isolate is
entered cannot reach node's handler: V8 prints its own block and stops the process with a
breakpoint (SIGTRAP)::

    #
    # Fatal error in HandleScope::HandleScope
    # Entering the V8 API without proper locking in place
    #

Its internal checks name a source line instead (``# Fatal error in ../deps/v8/src/x.cc,
line 12`` and ``# Check failed: ...``). The API check's message is the rule broken: no locker
is threading, a handle outside any HandleScope is lifetime, an empty MaybeLocal or Maybe
used unchecked (a call that failed with an exception) is swallowed-error.

An uncaught JS error: the place, its source line, a caret, then the error and its stack::

    /tmp/x/boom.js:3
        throw new RangeError(`count out of range: ${count}`);
        ^

    RangeError: count out of range: 70
        at parse (/tmp/x/boom.js:3:11)
"""

from __future__ import annotations

import re

from ..verdict import Frame
from ._frames import module_name
from ._schema import Marker, Reading, RuntimePath

_FAILED = "and the run failed (a signal or a non-zero exit status)"
_API_CHECK = r"^(?:# |FATAL ERROR: \S+ )"  # the message line of either form: V8's own block, or node's handler

MARKERS = (
    Marker("oom", "node", r"^FATAL ERROR: .*Allocation failed - (?:JavaScript heap|process) out of memory$",
           "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", _FAILED,
           precedence=491),
    Marker("oom", "v8", r"^(?:# )?(?:Fatal (?:process|JavaScript) out of memory\b.*|API fatal error handler returned after process out of memory)$",
           "# API fatal error handler returned after process out of memory", _FAILED,
           precedence=492),
    Marker("ffi-rule-violation", "v8", _API_CHECK + r"Entering the V8 API without proper locking in place\.?$",
           "# Entering the V8 API without proper locking in place", _FAILED, precedence=493, mode="threading"),
    Marker("ffi-rule-violation", "v8", _API_CHECK + r"Cannot create a handle without a HandleScope\.?$",
           "# Cannot create a handle without a HandleScope", _FAILED,
           precedence=494, mode="lifetime"),
    Marker("ffi-rule-violation", "v8", _API_CHECK + r"(?:Empty MaybeLocal|Maybe value is Nothing)\.?$",
           "FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal.", _FAILED, precedence=495, mode="swallowed-error"),
    # Any other: an addon's napi_fatal_error ("FATAL ERROR: addon.c:27 the widget table is corrupt"), another API check.
    Marker("ffi-rule-violation", "node", r"^FATAL ERROR: .*", "FATAL ERROR: addon.c:27 the widget table is corrupt", _FAILED,
           precedence=496),
    Marker("ffi-rule-violation", "v8", r"^# Fatal error in (?!.*, line \d+$).*", "# Fatal error in v8::Isolate::Dispose()",
           _FAILED, precedence=497),
    # An internal check of V8 (its own assertion), not a rule of its API.
    Marker("trap", "v8", r"^# Fatal error in .*, line \d+$", "# Fatal error in ../deps/v8/src/execution.cc, line 103", _FAILED,
           precedence=498),
    Marker("uncaught-exception", "node", r"^\S.*:\d+$(?=\n.*\n *\^+ *\n)",
           "/tmp/x/boom.js:3\n    throw new RangeError(`count out of range: ${count}`);\n    ^\n", "and the exit status is not 0",
           precedence=499),
)

# " 3: 0x7fed7a23122d fatal [/tmp/x/addon.node]", " 2: 0xc6e1c5  [node]", " 5: 0x109855fa8 " (a JIT frame).
NATIVE_FRAME = re.compile(r"^ *\d+: (?:0x[0-9a-f]+ ?)?(?P<func>.*?) *(?:\[(?P<obj>[^\]]*)\])?$")
# "1: [eval]:1:25", "2: runScriptInThisContext (node:internal/vm:209:10)" (a fatal error's JS stack).
FATAL_JS_FRAME = re.compile(r"^ *\d+: (?:(?P<func>.+?) \((?P<at>[^()]*)\)|(?P<bare>\S+))$")
# "    at parse (/tmp/x/boom.js:3:11)", "    at node:internal/main/run_main_module:28:49" (an error's stack).
ERROR_FRAME = re.compile(r"^ {4}at (?:(?P<func>.+?) \((?P<at>.*)\)|(?P<bare>.+))$")
PLACE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):\d+$")
V8_BLOCK = re.compile(r"^# Fatal error in (?P<where>.*)\n# (?P<message>.*)$", re.MULTILINE)
ERROR_LINE = re.compile(r"^(?P<type>[\w$.]+)(?: \[[\w$]+\])?(?::|$)")  # "TypeError [ERR_INVALID_ARG_TYPE]: ..."

RUNTIME_PATHS = (
    # Node's own JS: node:internal/modules/cjs/loader, node:fs; the REPL's and -e's wrappers.
    RuntimePath(r"^node:|^\[eval\]-wrapper$", "node", precedence=76),
)
RUNTIME_MODULES = (r"node$", r"nodejs$", r"libnode\.so", r"node/")
RUNTIME_FUNCTIONS = (r"node::.*", r"v8::.*", r"Builtins?_.*", r"uv_.*", r"napi_.*")


def _js_frame(func: str | None, at: str) -> Frame:
    place = PLACE.match(at)
    if place is None:  # "Promise.all (index 0)", "<anonymous>"
        return Frame(func or at)
    return Frame(func or "<anonymous>", module_name(place.group("file")), int(place.group("line")))


def _block(text: str, title: str) -> list[str]:
    """The lines under "----- <title> -----" up to the first blank line after them; [] without the title."""
    start = text.find(f"----- {title} -----")
    if start < 0:
        return []
    lines = text[start:].split("\n")[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines[:lines.index("")] if "" in lines else lines


def fatal_frames(text: str) -> tuple[Frame, ...]:
    """A fatal error's native stack, then its JS stack: innermost first, as the crashing thread ran them.

    ``text`` starts at the fatal error's line; node before 12 printed the native frames right under it, untitled.
    """
    frames = []
    for line in _block(text, "Native stack trace") or text.split("\n")[1:]:
        m = NATIVE_FRAME.match(line)
        if m is None or not line.strip():
            break
        frames.append(Frame(m.group("func") or "??", module_name(m.group("obj"))))
    for line in _block(text, "JavaScript stack trace"):
        m = FATAL_JS_FRAME.match(line)
        if m is None:
            break
        frames.append(_js_frame(m.group("func"), m.group("at") or m.group("bare")))
    return tuple(frames)


def error_frames(lines: list[str]) -> tuple[Frame, ...]:
    frames = []
    for line in lines:
        m = ERROR_FRAME.match(line)
        if m is None:
            break
        frames.append(_js_frame(m.group("func"), m.group("at") or m.group("bare")))
    return tuple(frames)


def _uncaught(match: re.Match, text: str) -> Reading:
    """The error under the caret (``RangeError: ...``, or a thrown value that is no Error) and its stack."""
    lines = text[match.end():].split("\n")[3:]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return Reading()
    told, frames = lines[0].strip(), error_frames(lines[1:])
    kind = ERROR_LINE.match(told) if frames else None
    name = kind.group("type") if kind else "value"
    headline = f"uncaught JS {told}" if kind else f"uncaught JS value: {told}"
    version = next((line for line in lines if re.match(r"^Node\.js v\d", line)), None)
    file, _, line = match.group(0).rpartition(":")
    return Reading(headline=headline, native_stack=frames, place=Frame("throw", module_name(file), int(line)),
                   evidence=(told, *([version] if version else [])), signature=(name,))


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """An uncaught error with its stack; a fatal error with its native and JS stacks, V8's block as the headline."""
    if marker.kind == "uncaught-exception":
        return _uncaught(match, text)
    frames = fatal_frames(text[match.start():])
    # V8's block starts on the marker's line ("# Fatal error in ...") or on the line before (a message marker).
    before = text.rfind("\n", 0, max(match.start() - 1, 0)) + 1
    block = V8_BLOCK.match(text, before) or V8_BLOCK.match(text, match.start())
    if block is None:
        return Reading(native_stack=frames)
    where = block.group("where")
    where = "" if re.fullmatch(r"(?:, line 0)?", where) else f" in {where}"  # a release build names no place
    return Reading(headline=f"V8 fatal error{where}: {block.group('message')}", native_stack=frames,
                   evidence=tuple(block.group(0).split("\n")))
