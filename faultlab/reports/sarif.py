"""SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, DefectDojo, CASR).

One rule per verdict kind (its CWE as a tag and as a relationship to the CWE taxonomy,
``security-severity`` for security kinds); one result per verdict that is a fault or
not what the catalog declared, located at the case's decisive ``FLAW:`` line (the one in
the file where the crash happened when there is one, else where ``fix_in`` says); the
Python and native stacks as ``stacks`` and as a ``codeFlow`` from the driver into C; the
verdict's signature in ``partialFingerprints``, so dashboards deduplicate across runs.
A fixed variant that ran clean as declared is not a result. The decisive lines and the
case's files are those the results file recorded, never today's case files.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ..diagnosis.kinds import CWE_NAMES, KINDS, severity
from ..diagnosis.signature import meaningful
from ..diagnosis.verdict import Frame, Verdict
from ..lab.results import CaseRecord, CaseRun, Marked, Results, installed_version

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
NOT_REPRODUCED = "not-reproduced"
FINGERPRINT = "faultlabSignature/v1"
# A verdict's severity (ClusterFuzz's grade, docs/taxonomy.md) as GitHub's security-severity score, which
# reads 9.0+ as critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low; and as the result's level.
SECURITY_SEVERITY = {"high": "8.1", "medium": "5.5", "low": "3.0"}
LEVELS = {"high": "error", "medium": "error", "low": "warning", "none": "warning"}
# Frames a result's stack or code flow carries, innermost first; a deeper one (a recursion, or a tampered
# results file's) is cut and its message says so. ASan writes 30 at most by default; each frame costs a
# dashboard a location, and GitHub refuses a result with more than 1,000 of them.
MAX_FRAMES = 100
MAX_RELATED = 100  # a case's FLAW and FIX lines as related locations: a real case has a handful


def _cwe_number(cwe: str | None) -> str | None:
    m = re.fullmatch(r"CWE-(\d+)", cwe or "")
    return m.group(1) if m else None


def _rule(kind: str) -> dict:
    if kind == NOT_REPRODUCED:
        return {
            "id": NOT_REPRODUCED, "name": "NotReproduced",
            "shortDescription": {"text": "The broken variant did not produce the fault its case declares."},
            "fullDescription": {"text": "The broken variant came out ok (or as another kind) where the catalog "
                                        "declares a fault: the demonstration no longer reproduces its bug."},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": ["faultlab", "catalog"], "precision": "very-high"},
        }
    info = KINDS.get(kind)
    if info is None:  # recorded by a faultlab whose vocabulary had this kind
        return {"id": kind, "name": "".join(part.capitalize() for part in kind.split("-")),
                "shortDescription": {"text": f"{kind}, a kind this version of faultlab does not describe."},
                "defaultConfiguration": {"level": "warning"}, "properties": {"tags": ["faultlab"]}}
    grade = severity(kind)
    tags = ["faultlab", info.mode] + (["security"] if grade != "none" else [])
    rule = {
        "id": kind,
        "name": "".join(part.capitalize() for part in kind.split("-")),
        "shortDescription": {"text": info.description.split(": ")[0].rstrip(".") + "."},
        "fullDescription": {"text": info.description},
        "help": {"text": f"{info.description} Run 'faultlab explain CASE_ID' for the case's rule, "
                         f"decisive lines and fix."},
        "defaultConfiguration": {"level": LEVELS[grade]},
        "properties": {"tags": tags, "precision": "very-high"},
    }
    number = _cwe_number(info.cwe)
    if number:
        tags.append(f"external/cwe/cwe-{number}")
        rule["relationships"] = [{"target": {"id": number, "toolComponent": {"name": "CWE"}}, "kinds": ["superset"]}]
    if grade in SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[grade]
    return rule


def _region(line: int, snippet: str = "") -> dict:
    region = {"startLine": line}
    if snippet.strip():
        region["snippet"] = {"text": snippet.strip()}
    return region


def _physical(path: str, line: int | None, snippet: str = "") -> dict:
    location = {"artifactLocation": {"uri": path}}
    if not path.startswith("/"):
        location["artifactLocation"]["uriBaseId"] = "SRCROOT"
    if isinstance(line, int) and line >= 1:  # SARIF lines count from 1; a forged 0 or -3 is no place
        location["region"] = _region(line, snippet)
    return location


def _mark_location(mark: Marked, message: str = "", ident: int | None = None) -> dict:
    location = {"physicalLocation": _physical(mark.path, mark.line, mark.code)}
    if ident is not None:
        location["id"] = ident
    if message:
        location["message"] = {"text": message}
    return location


def _meaningful(verdict: Verdict, key: str) -> list[dict]:
    """The frames of one of the verdict's stacks that a person cares about, innermost first, as dicts
    (the first ``MAX_FRAMES`` of them)."""
    return [dataclasses.asdict(f) for f in meaningful(getattr(verdict, key))[:MAX_FRAMES]]


def _primary_flaw(case: CaseRecord, verdict: Verdict, flaws: tuple[Marked, ...]) -> Marked | None:
    """The FLAW line to point at: in the file the crash happened in, else where the case says the fix is."""
    tops = [frames[0]["module"] for key in ("native_stack", "python_stack") if (frames := _meaningful(verdict, key))]
    for module in tops:
        for flaw in flaws:
            if module and Path(flaw.path).name == module:
                return flaw
    if not flaws:
        return None
    prefer_native = case.fix_in == "native"
    return sorted(flaws, key=lambda m: (m.where != "native") if prefer_native else (m.where == "native"))[0]


def _files_by_name(case: CaseRecord | None) -> dict[str, str]:
    """Base name -> path relative to the project, for the files a case owns (to place stack frames)."""
    return {Path(path).name: path for path in case.files} if case else {}


def _frame_location(frame: dict, files: dict[str, str]) -> dict:
    location: dict = {"logicalLocations": [{"name": frame["function"], "kind": "function"}]}
    path = files.get(frame.get("module") or "")
    if path:
        location["physicalLocation"] = _physical(path, frame.get("line"))
    return location


def _stack(title: str, frames: list[dict], files: dict[str, str]) -> dict:
    out = []
    for frame in frames:
        item = {"location": _frame_location(frame, files)}
        if frame.get("module"):
            item["module"] = frame["module"]
        out.append(item)
    return {"message": {"text": title}, "frames": out}


def _code_flow(verdict: Verdict, files: dict[str, str]) -> dict | None:
    """Call order, outermost first: the meaningful Python frames, then the meaningful native ones."""
    python = list(reversed(_meaningful(verdict, "python_stack")))
    native = list(reversed(_meaningful(verdict, "native_stack")))
    steps = [(f, "Python") for f in python] + [(f, "native") for f in native]
    if not steps:
        return None
    locations = []
    for order, (frame, side) in enumerate(steps):
        location = _frame_location(frame, files)
        location["message"] = {"text": f"{side}: {Frame(**frame)}"}
        locations.append({"location": location, "nestingLevel": order, "executionOrder": order + 1,
                          "importance": "essential" if order == len(steps) - 1 else "important"})
    return {"message": {"text": "from the case's driver into the native code"}, "threadFlows": [{"locations": locations}]}


def _wanted(result: CaseRun) -> bool:
    """A fault, or anything other than what the catalog declared."""
    return result.observed != "ok" or not result.passed


def _result(result: CaseRun, case: CaseRecord | None, rule_index: dict[str, int]) -> dict:
    verdict = result.verdict
    kind = verdict.kind
    rule_id = kind if kind != "ok" else NOT_REPRODUCED
    expected = (case.expectation(result.sanitizer, result.variant) if case else "") or result.expected
    passed = result.passed  # kind and pins held
    text = f"{result.case_id}, {result.variant} variant under {result.sanitizer}: {verdict.summary}"
    text += " (as the catalog declares)" if passed else f" (the catalog declares {expected})"
    # The verdict's own grade: a WRITE raises its kind's (the rule's) by one level.
    level = LEVELS.get(verdict.severity, "warning") if passed else "error"
    out: dict = {
        "ruleId": rule_id, "ruleIndex": rule_index[rule_id], "kind": "fail", "level": level,
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT: verdict.signature or "none"},
        "properties": {
            "case": result.case_id, "runtime": case.runtime if case else "cpython",
            "variant": result.variant, "sanitizer": result.sanitizer, "expected": result.expected, "expectation": expected, "observed": kind, "passed": passed, "signature": verdict.signature,
            "evidence": list(verdict.evidence)[:6], "durationSeconds": verdict.duration_s,
            "severity": verdict.severity,
        },
    }
    if verdict.access:
        out["properties"]["access"] = verdict.access + (f" of size {verdict.access_size}" if verdict.access_size else "")
    if verdict.severity in SECURITY_SEVERITY:
        out["properties"]["security-severity"] = SECURITY_SEVERITY[verdict.severity]
    files = _files_by_name(case)
    marks = case.marks if case else ()
    primary = _primary_flaw(case, verdict, case.flaws) if case else None
    if primary:
        out["locations"] = [_mark_location(primary, f"FLAW: {primary.note}")]
    else:
        top = (_meaningful(verdict, "native_stack") or _meaningful(verdict, "python_stack"))[:1]
        if top:
            out["locations"] = [_frame_location(top[0], files)]
    related = [m for m in marks if m is not primary][:MAX_RELATED]
    if related:
        out["relatedLocations"] = [_mark_location(m, f"{m.tag}: {m.note} ({m.where})", ident)
                                   for ident, m in enumerate(related, 1)]
    stacks = []
    for key, title in (("python_stack", "Python stack, innermost first"), ("native_stack", "native stack, innermost first")):
        frames = getattr(verdict, key)
        if frames:
            cut = f" (the innermost {MAX_FRAMES} of its {len(frames):,} frames)" if len(frames) > MAX_FRAMES else ""
            stacks.append(_stack(title + cut, [dataclasses.asdict(f) for f in frames[:MAX_FRAMES]], files))
    if stacks:
        out["stacks"] = stacks
    flow = _code_flow(verdict, files)
    if flow:
        out["codeFlows"] = [flow]
    cwe = _cwe_number(case.cwe if case else verdict.cwe)
    if cwe:
        out["taxa"] = [{"id": cwe, "toolComponent": {"name": "CWE"}}]
    return out


def to_sarif(recorded: Results) -> dict:
    """A SARIF 2.1.0 log of a results file's verdicts, located at the lines it recorded."""
    results, cases = recorded.results, recorded.cases
    chosen = [r for r in results if _wanted(r)]
    rule_ids = sorted({r.observed if r.observed != "ok" else NOT_REPRODUCED for r in chosen})
    rules = [_rule(kind) for kind in rule_ids]
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    sarif_results = [_result(r, cases.get(r.case_id), rule_index) for r in chosen]
    version = recorded.faultlab_version or installed_version()
    cwes = sorted({t["id"] for r in sarif_results for t in r.get("taxa", ())}
                  | {rel["target"]["id"] for rule in rules for rel in rule.get("relationships", ())}, key=int)
    run: dict = {"tool": {"driver": {
        "name": "faultlab", "version": version, "semanticVersion": version,
        "rules": rules, "supportedTaxonomies": [{"name": "CWE"}] if cwes else [],
    }}}
    if recorded.project_root and Path(recorded.project_root).is_absolute():  # unknown in a version 1 file
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": Path(recorded.project_root).as_uri() + "/"}}
    run.update({
        "invocations": [{"executionSuccessful": True,
                         "properties": {"verdicts": len(results), "asDeclared": sum(r.passed for r in results)}}],
        "results": sarif_results,
        "columnKind": "unicodeCodePoints",
    })
    if cwes:
        run["taxonomies"] = [{
            "name": "CWE", "organization": "MITRE", "version": "4.14",
            "shortDescription": {"text": "The MITRE Common Weakness Enumeration"},
            "taxa": [{"id": n, "name": CWE_NAMES.get(f"CWE-{n}", f"CWE-{n}")} for n in cwes],
        }]
    return _valid_text({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]})


def _valid_text(value):
    """Every string as valid Unicode: a lone surrogate from undecodable output becomes its escape, not invalid JSON."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _valid_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    return value
