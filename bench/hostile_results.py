"""Results files built to cost ``faultlab report`` the most work per byte, for the hostile bench.

Each is valid JSON of the results schema's shape, as a tampered or corrupted file could be:
its bytes spent on whatever the reader and the reporters iterate over (results, evidence
lines, frames, threads, report stacks, lock waits, case records, marks, layout slots) or on
long strings. ``files(size)`` gives each at about ``size`` bytes, as much of it as the
reader's limits (``faultlab.lab.results.LIMITS``, ``MAX_ENTRIES``, ``MAX_STRING``) let
through: spread over as many results or cases as it takes, so the file is read whole and
the reporters do the work. ``files(size, limits=False)`` ignores the limits: such files
are refused (and were, before there were limits, the worst ones).
"""

from __future__ import annotations

import json

from faultlab.lab.results import LIMITS, MAX_ENTRIES, MAX_STRING

_FRAME = {"function": "f", "module": "m.c", "line": 1}
_UNLIMITED = {name: 1 << 62 for name in LIMITS}


def _verdict(kind: str = "segv", **fields) -> dict:
    return {"kind": kind, "mode": "lifetime", "cwe": "CWE-416", "security": True, "summary": "s", "evidence": [],
            "python_stack": [], "native_stack": [], "threads": [], "signal": "SIGSEGV", "exit_code": None,
            "duration_s": 0.1, "signature": "0123456789abcdef", "sanitizer": "none", "isolation": "fork", **fields}


def _result(case: str, verdict: dict) -> dict:
    return {"case": case, "variant": "broken", "sanitizer": verdict["sanitizer"], "expected": verdict["kind"],
            "observed": verdict["kind"], "passed": True, "signature": verdict["signature"],
            "duration_s": verdict["duration_s"], "verdict": verdict}


def _case_record(case_id: str, marks: int = 1, slots: int = 0) -> dict:
    mark = {"tag": "FLAW", "path": "native/x.c", "line": 1, "code": "c", "note": "n", "where": "native"}
    slot = {"name": "a", "type": "int", "offset": 0, "size": 4, "value": None}
    declaration = {"kind": "struct", "name": "struct s", "size": 4, "align": 4, "slots": [slot] * slots}
    layouts = [{"picture": "layout-diff", "old_header": "v1.h", "new_header": "v2.h", "old_label": "v1",
                "new_label": "v2", "old": declaration, "new": declaration}] if slots else []
    return {"id": case_id, "title": "t", "mode": "lifetime", "cwe": "CWE-416", "cwe_name": "n", "rule": "r",
            "explanation": "e", "expect": {"none": "segv"}, "pins": {}, "fix_in": "native", "source": "cases/x.py",
            "marks": [mark] * marks, "files": ["native/x.c"], "driver_diff": "", "native_diffs": [],
            "runtime": "cpython", "layouts": layouts}


def _file(results: list[dict], cases: dict | None = None) -> str:
    return json.dumps({"faultlab_results": 2, "created": None, "faultlab_version": "0", "project_root": None,
                       "configurations": ["none"], "results": results, "cases": cases or {}},
                      separators=(",", ":"), ensure_ascii=False)


def _chunks(total: int, per: int, most: int) -> list[int]:
    """``total`` items in chunks of ``per``, at most ``most`` chunks."""
    return [min(per, total - start) for start in range(0, total, per)][:most]


def files(size: int, limits: bool = True) -> dict[str, str]:
    """Name -> the text of a results file of about ``size`` bytes that spends them on one thing."""
    most = LIMITS if limits else _UNLIMITED
    entries = MAX_ENTRIES if limits else 1 << 62
    string = MAX_STRING if limits else 1 << 62

    def items(item_bytes: int, item_entries: int) -> int:  # as many as the size and the entry budget allow
        return max(1, min(size // item_bytes, int(entries * 0.95) // item_entries))

    def spread(total: int, per: int, make) -> list[dict]:  # one result per chunk
        return [_result(f"lifetime/c{i}", make(n)) for i, n in enumerate(_chunks(total, per, most["results"]))]

    wait = {"thread": "T1", "lock": "L1", "owner": "T2", "native": [_FRAME], "python": []}
    mutual = [wait, {**wait, "thread": "T2", "lock": "L2", "owner": "T1"}]
    frames = items(40, 4)
    long = "\u202e<" * (min(size, string) // 2)
    return {
        "results": _file([_result(f"lifetime/c{i}", _verdict(native_stack=[_FRAME]))
                          for i in range(min(items(560, 40), most["results"]))]),
        "deadlock verdicts": _file([_result(f"threading/c{i}", _verdict("deadlock", lock_waits=mutual))
                                    for i in range(min(items(750, 60), most["results"]))]),
        "evidence lines": _file(spread(items(4, 1), most["evidence"], lambda n: _verdict(evidence=["e"] * n))),
        "frames of one stack": _file(spread(frames, most["native_stack"],
                                            lambda n: _verdict(native_stack=[_FRAME] * n, python_stack=[_FRAME]))),
        "threads": _file(spread(items(4, 1), most["threads"], lambda n: _verdict(threads=["t"] * n))),
        "report stacks": _file(spread(items(60, 7), most["report_stacks"],
                                      lambda n: _verdict(report_stacks=[{"title": "t", "frames": [_FRAME]}] * n))),
        "lock waits": _file(spread(items(100, 13), most["lock_waits"],
                                   lambda n: _verdict("deadlock", lock_waits=[wait] * n))),
        "long strings": _file(spread(max(1, size // max(1, len(long.encode()))), 1, lambda n: _verdict(summary=long))),
        "case records": _file([], {f"lifetime/c{i}": _case_record(f"lifetime/c{i}")
                                   for i in range(min(items(500, 60), most["cases"]))}),
        "marks of one case": _file([_result(f"lifetime/c{i}", _verdict()) for i, _ in enumerate(
            _chunks(items(90, 7), most["marks"], most["cases"]))],
            {f"lifetime/c{i}": _case_record(f"lifetime/c{i}", marks=n)
             for i, n in enumerate(_chunks(items(90, 7), most["marks"], most["cases"]))}),
        "layout slots": _file([_result(f"lifetime/c{i}", _verdict()) for i, _ in enumerate(
            _chunks(items(140, 14), most["slots"], most["cases"]))],
            {f"lifetime/c{i}": _case_record(f"lifetime/c{i}", slots=n)
             for i, n in enumerate(_chunks(items(140, 14), most["slots"], most["cases"]))}),
    }
