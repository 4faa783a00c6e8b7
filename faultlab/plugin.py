"""pytest plugin: every (case, variant, sanitizer) of ``cases/`` is an item run in its own child.

An item passes when the observed kind equals the declared one (``ok`` for the fixed
variant) and so does every field the case pins (frame, access); a mismatch names the pin
that failed and shows the whole verdict. Results travel as user properties, so
JUnit XML carries them and the ``--faultlab-report`` file is written by the controller
also under pytest-xdist; each case's record (``faultlab.lab.results.CaseRecord``) travels
on its items' reports, so the file shows the case as it was when it ran.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from .cli import options
from .diagnosis import configurations, containment
from .reports import atomic
from .lab import catalog, lessons, requirements
from .lab.build import BuildError, project_root
from .lab.execute import run_case
from .lab.isolation import policy
from .diagnosis.kinds import MODES
from .lab.results import RUNTIMES, CaseRecord, CaseRun, Results
from .reports.terminal import format_verdict, printable


def pytest_addoption(parser):
    group = parser.getgroup("faultlab")
    group.addoption("--faultlab-report", metavar="PATH", help="write every verdict of the run to PATH as JSON")
    group.addoption("--faultlab-repeat", type=int, default=1, metavar="N",
                    help="run each case item N times and fail it when its verdicts differ")
    group.addoption("--faultlab-sanitizer", action="append", metavar="NAME",
                    help="only run the configurations of this sanitizer (repeatable)")
    group.addoption("--faultlab-sarif", metavar="PATH", help="write the run's verdicts as SARIF 2.1.0 to PATH")
    group.addoption("--faultlab-isolation", default=policy.DEFAULT_ISOLATION, choices=policy.ISOLATIONS,
                    help="fork each item from a warm server where that is sound and spawn it elsewhere "
                         "(auto, the default), always fork, or always spawn a fresh interpreter")


def pytest_configure(config):
    check_options(config)
    for name, what in marker_names().items():
        config.addinivalue_line("markers", f"{name}: {what}")
    if config.getoption("faultlab_report") or config.getoption("faultlab_sarif"):
        config.pluginmanager.register(ResultCollector(config), "faultlab-results")


def check_options(config) -> None:
    """Every faultlab option means something, and every output path is writable, before a single item runs."""
    unknown = [name for name in config.getoption("faultlab_sanitizer") or () if name not in configurations.NAMES]
    if unknown:
        raise pytest.UsageError(f"--faultlab-sanitizer {', '.join(unknown)}: "
                                f"choose from {', '.join(configurations.NAMES)}")
    if config.getoption("faultlab_repeat") < 1:
        raise pytest.UsageError(f"--faultlab-repeat {config.getoption('faultlab_repeat')}: must be at least 1")
    for option in ("faultlab_report", "faultlab_sarif"):
        path = config.getoption(option)
        if path and not hasattr(config, "workerinput"):  # the controller writes the files
            try:
                options.writable_file(path)
            except argparse.ArgumentTypeError as exc:
                raise pytest.UsageError(f"--{option.replace('_', '-')} {exc}") from None


def marker(name: str) -> str:
    """A runtime's or a failure mode's name as a pytest marker: ``-m "abi_drift and not cpython"``."""
    return name.replace("-", "_")


def marker_names() -> dict[str, str]:
    """Every marker a case item carries, with what it selects."""
    names = {marker(r): f"cases whose host side is {r}" for r in RUNTIMES}
    names.update({marker(m): f"cases of the {m} failure mode" for m in MODES if m != "unknown"})
    return names


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("case_"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        try:
            cases = catalog.cases_in(self.path)
        except catalog.CatalogError as exc:
            raise self.CollectError(str(exc)) from None
        only = self.config.getoption("faultlab_sanitizer")
        for case in cases:
            for sanitizer in case.expect:
                if only and sanitizer not in only:
                    continue
                for variant in catalog.VARIANTS:
                    item = CaseItem.from_parent(self, name=f"{case.id}[{variant}-{sanitizer}]", case=case,
                                                variant=variant, sanitizer=sanitizer)
                    item.add_marker(marker(case.runtime))
                    item.add_marker(marker(case.mode))
                    yield item


class CaseFailed(Exception):
    def __init__(self, results: list[CaseRun], why: str):
        super().__init__(why)
        self.results = results
        self.why = why


class CaseItem(pytest.Item):
    def __init__(self, *, case: catalog.Case, variant: str, sanitizer: str, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.variant = variant
        self.sanitizer = sanitizer

    def runtest(self):
        missing = requirements.missing(self.case)
        if missing:
            pytest.skip(f"{self.case.id}: {'; '.join(missing)}")
        repeat = self.config.getoption("faultlab_repeat")
        isolation = self.config.getoption("faultlab_isolation")
        try:
            # SIGTERM, SIGHUP or SIGINT during a run kill its whole tree and remove its files, then end the session.
            with containment.stopping_runs_on_signals():
                results = [run_case(self.case, self.variant, self.sanitizer, isolation=isolation) for _ in range(repeat)]
        except containment.Interrupted as exc:
            pytest.exit(f"faultlab: {exc}", returncode=exc.exit_status)
        first = results[0]
        for name, value in (("kind", first.verdict.kind), ("expected", first.expected),
                            ("signature", first.verdict.signature), ("sanitizer", self.sanitizer),
                            ("mode", self.case.mode), ("cwe", self.case.cwe), ("variant", self.variant)):
            self.user_properties.append((f"faultlab.{name}", value))
        self.user_properties.append(("faultlab.result", json.dumps(first.to_dict())))
        kinds = [r.verdict.kind for r in results]
        if len(set(kinds)) > 1:
            raise CaseFailed(results, f"verdicts differ across {repeat} runs: {', '.join(kinds)}")
        failed = [r for r in results if not r.passed]
        if failed:  # a pin that holds in some runs only is a flaky pin, not a pass
            also = f" (in {len(failed)} of {repeat} runs)" if repeat > 1 else ""
            raise CaseFailed(failed, failed[0].mismatch + also)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseFailed):
            failure = excinfo.value
            shown = {r.verdict.kind: r for r in failure.results}.values()
            body = "\n\n".join(format_verdict(r.verdict, title=f"{self.variant} under {self.sanitizer}") for r in shown)
            return f"{self.case.id}: {printable(failure.why)}\n\n{body}"
        if isinstance(excinfo.value, (BuildError, catalog.CatalogError)):
            return printable(f"{self.case.id}: {excinfo.value}")
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.case.id} [{self.variant}, {self.sanitizer}]"


class ResultCollector:
    """Gathers every case verdict of the session (on the xdist controller too) and writes the files asked for.

    Where the items run (a worker under xdist), each case's record is taken once, from its
    source as it is now, and sent with the report of the first of its items that ran.
    """

    def __init__(self, config):
        self.config = config
        self.results: list[CaseRun] = []
        self.cases: dict[str, CaseRecord] = {}
        self.recorded: set[str] = set()  # the case ids whose record this process has sent

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        ran = any(name == "faultlab.result" for name, _ in item.user_properties)
        if call.when == "call" and isinstance(item, CaseItem) and ran:
            case = item.case
            if case.id not in self.recorded:
                self.recorded.add(case.id)
                try:
                    report.faultlab_case = lessons.record(case).to_dict()
                except (OSError, ValueError, TypeError, KeyError, catalog.CatalogError):
                    pass  # the verdicts still count; only the lesson is missing from the file
        return report

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            props = dict(report.user_properties)
            if "faultlab.result" in props:
                self.results.append(CaseRun.from_dict(json.loads(props["faultlab.result"])))
            record = getattr(report, "faultlab_case", None)
            if record and record["id"] not in self.cases:
                self.cases[record["id"]] = CaseRecord.from_dict(record)

    def pytest_sessionfinish(self, session):
        if hasattr(self.config, "workerinput"):
            return  # an xdist worker: the controller writes the files
        results = Results.recorded(self.results, self.cases, str(project_root().resolve()))
        outputs = {}  # both files or neither
        report = self.config.getoption("faultlab_report")
        if report:
            outputs[report] = results.to_json()
        sarif_path = self.config.getoption("faultlab_sarif")
        if sarif_path:
            from .reports.sarif import to_sarif

            outputs[sarif_path] = json.dumps(to_sarif(results), indent=1)
        atomic.write_all(outputs)
