"""``faultlab fuzz``: run the atheris harnesses of ``fuzz/`` with native coverage, and replay what they found.

    faultlab fuzz TARGET|--all [--variant broken|fixed] [--time S] [--runs N] [--jobs N]
                               [--no-native-coverage] [--keep-going] [--fresh] [--merge] [--json]
    faultlab fuzz --reproduce ARTIFACT [--variant V] [--minimize [--time S]] [--json]
    faultlab fuzz --list

Exit status: 0 no crash (or, with --reproduce, the input no longer crashes), 1 a new
unique crash (what a nightly job fails on), 2 a usage or setup error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..fuzzing import Artifact, FuzzSetupError, discover, find, fuzz, minimize, reproduce
from ..lab.catalog import VARIANTS
from ..reports.terminal import format_verdict, printable
from . import EXIT_FAULT, EXIT_OK, UsageError, options
from .progress import Progress

DEFAULT_TIME_S = 60.0


def register(subparsers) -> None:
    p = subparsers.add_parser("fuzz", help="fuzz the harnesses of fuzz/ with native coverage; replay a finding")
    p.add_argument("target", nargs="?", help="a harness of fuzz/ by name, or the path of a harness file")
    p.add_argument("--all", action="store_true", help="every harness of fuzz/, one after the other")
    p.add_argument("--list", action="store_true", help="show the harnesses and what each one must find")
    p.add_argument("--variant", choices=VARIANTS,
                   help="the build to fuzz (default: broken; with --reproduce: the stored one)")
    p.add_argument("--time", type=options.seconds, metavar="SECONDS",
                   help=f"time box per target (default: {DEFAULT_TIME_S:g} unless --runs)")
    p.add_argument("--runs", type=options.count, metavar="N", help="inputs per job (libFuzzer -runs)")
    p.add_argument("--jobs", type=options.count, default=1, metavar="N", help="parallel libFuzzer processes sharing one corpus")
    p.add_argument("--no-native-coverage", action="store_true",
                   help="build the library without coverage: the fuzzer sees only the harness's Python code")
    p.add_argument("--keep-going", action="store_true", help="after a crash, fuzz on until the time is up")
    p.add_argument("--fresh", action="store_true", help="start the work corpus again from the committed seeds")
    p.add_argument("--merge", action="store_true",
                   help="afterwards add the inputs with new coverage to fuzz/corpus/<target>/")
    p.add_argument("--workdir", type=options.writable_directory, metavar="DIR", help="where corpora grow (default: ~/.cache/faultlab/fuzz)")
    p.add_argument("--artifacts", type=options.writable_directory, metavar="DIR", help="where findings are stored (default: fuzz/artifacts)")
    p.add_argument("--reproduce", type=Path, metavar="ARTIFACT", help="replay a stored finding and print its verdict")
    p.add_argument("--minimize", action="store_true",
                   help="with --reproduce: shrink the input (libFuzzer -minimize_crash)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=fuzz_targets)


def fuzz_targets(args) -> int:
    try:
        if args.list:
            return _list(args)
        if args.reproduce:
            return _reproduce(args)
        return _fuzz(args)
    except FuzzSetupError as exc:
        raise UsageError(str(exc)) from None


def _check(args) -> None:
    chosen = [name for name, on in (("TARGET", bool(args.target)), ("--all", args.all),
                                    ("--reproduce", bool(args.reproduce)), ("--list", args.list)) if on]
    if len(chosen) != 1:
        raise UsageError("fuzz needs one of TARGET, --all, --reproduce ARTIFACT or --list"
                         + (f", not {' and '.join(chosen)}" if chosen else ""))
    if args.minimize and not args.reproduce:
        raise UsageError("--minimize works on a stored finding: faultlab fuzz --reproduce ARTIFACT --minimize")


def _list(args) -> int:
    _check(args)
    targets = discover()
    if args.json:
        print(json.dumps([{"target": t.name, "mode": t.mode, "cwe": t.cwe, "expect": t.expect,
                           "sanitizer": t.sanitizer, "harness": t.path} for t in targets], indent=1))
        return EXIT_OK
    for t in targets:
        print(f"{t.name:<22} {t.mode:<16} {t.cwe:<8} broken: {t.expect} (sanitizer {t.sanitizer})")
    return EXIT_OK


def _fuzz(args) -> int:
    _check(args)
    targets = discover() if args.all else [find(args.target)]
    seconds = args.time if args.time is not None else (None if args.runs else DEFAULT_TIME_S)
    variant = args.variant or "broken"
    results = []
    box = f"{seconds:g} s" if seconds else f"{args.runs} runs"
    coverage = "without native coverage" if args.no_native_coverage else "with native coverage"
    # On a terminal, a bar on stderr over the result lines; in a log, one "fuzzing ..." line per target.
    with Progress(len(targets), stream=sys.stderr) as progress:
        for target in targets:
            step = f"fuzzing {target.name} ({variant}, {coverage}) for {box}, {args.jobs} job(s)"
            if not args.json and not progress.live:
                progress.echo(step + " ...")
            progress.start(step)
            result = fuzz(target, variant=variant, seconds=seconds, runs=args.runs, jobs=args.jobs,
                          native_coverage=not args.no_native_coverage, keep_going=args.keep_going, fresh=args.fresh,
                          merge=args.merge, work=args.workdir, artifacts=args.artifacts)
            results.append(result)
            progress.done()
            if not args.json:
                progress.hide()
                print(_describe(result), flush=True)
    if args.json:
        print(json.dumps({"faultlab_fuzz": 1, "targets": [r.to_dict() for r in results]}, indent=1))
    return EXIT_FAULT if any(r.new_findings for r in results) else EXIT_OK


def _describe(result) -> str:
    t = result.target
    build = f"build {result.build_tag}"
    lines = [f"{t.name} ({result.variant}, {build}): "
             + (f"first crash after {result.time_to_first_crash_s:.1f} s; " if result.time_to_first_crash_s is not None
                else "no crash; ")
             + f"{result.execs} execs, {result.exec_per_s:g} exec/s, {result.duration_s:.1f} s in all"]
    expected = t.expect if result.variant == "broken" else "ok"
    for f in result.unique():
        mark = "NEW  " if f.new else "known"
        declared = "as declared" if f.verdict.kind == expected else f"declared {expected}"
        lines.append(f"  {mark} {f.verdict.kind} [{f.verdict.mode}] {f.verdict.signature} ({declared})")
        lines.append(f"        {f.verdict.summary}")
        lines.append(f"        {(f.artifact / 'reproduce.txt').read_text().strip()}")
    for path in result.unreproduced:
        lines.append(f"  libFuzzer saved {path}, but its replay did not crash (flaky, or a resource limit)")
    if result.seeds_added:
        lines.append(f"  merged {result.seeds_added} input(s) into fuzz/corpus/{t.name}/")
    return "\n".join(printable(line) for line in lines)


def _reproduce(args) -> int:
    _check(args)
    artifact = Artifact.open(args.reproduce)
    shrunk = None
    if args.minimize:
        shrunk = minimize(artifact, seconds=args.time or 30.0)
    verdict = shrunk[2] if shrunk else reproduce(artifact, variant=args.variant)
    same = verdict.signature == artifact.verdict.signature
    if args.json:
        print(json.dumps({"artifact": str(artifact.path), "target": artifact.target.name,
                          "variant": args.variant or artifact.variant, "stored_signature": artifact.verdict.signature,
                          "same_signature": same, "minimized": list(shrunk[:2]) if shrunk else None,
                          "verdict": verdict.to_dict()}, indent=1))
    else:
        print(format_verdict(verdict, title=f"{artifact.target.name} {args.variant or artifact.variant}"))
        if args.minimize:
            print(f"minimized: {shrunk[0]} -> {shrunk[1]} bytes" if shrunk
                  else "minimize: nothing smaller crashed the same way")
        print("signature: same as stored" if same
              else printable(f"signature: DIFFERS from the stored {artifact.verdict.signature}"))
    return EXIT_OK if verdict.ok else EXIT_FAULT
