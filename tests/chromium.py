"""Headless Debian chromium, driven over the DevTools protocol on a pipe, for the tests that look at a page.

``--remote-debugging-pipe``: fd 3 for commands, fd 4 for answers, NUL-terminated JSON, so
the tests need no driver binary and no Python package. ``Chromium`` is one browser with a
fresh profile; ``Page`` one tab, with what its console said, a real mouse and screenshots.

Everything the browser writes goes into two directories of its own, removed when it is
closed: its profile, HOME and caches in the test's folder, and its TMPDIR (where chromium
puts ``org.chromium.Chromium.*`` with its singleton socket) in the system's temporary
directory, whose short path the socket needs. A browser killed at the end of a session
cannot clean up after itself, and the system's /tmp is shared.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class BrowserError(Exception):
    """Chromium did not answer, answered with an error, or went away."""


class Chromium:
    """One headless chromium with a fresh profile, spoken to over the DevTools pipe; ``close()`` leaves only its log."""

    FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe")

    def __init__(self, workdir: Path):
        commands_r, self._commands = os.pipe()
        self._answers, answers_w = os.pipe()
        # Park the child's ends above fd 10 so the dup2s onto 3 and 4 cannot clobber each other.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands_r, answers_w)]
        os.close(commands_r)
        os.close(answers_w)
        self.log = workdir / "chromium.log"  # kept: a failure's message points at it
        self.home = Path(tempfile.mkdtemp(prefix="chromium-", dir=workdir))
        self.tmp = Path(tempfile.mkdtemp(prefix="chromium-"))  # a unix socket's path has 107 bytes at most
        env = {**os.environ, "TMPDIR": str(self.tmp), "HOME": str(self.home),
               "XDG_CONFIG_HOME": str(self.home / "config"), "XDG_CACHE_HOME": str(self.home / "cache")}
        log = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        argv = [CHROMIUM, *self.FLAGS, f"--user-data-dir={self.home / 'profile'}", "about:blank"]
        self.pid = os.posix_spawn(CHROMIUM, argv, env, setsid=True, file_actions=[
            (os.POSIX_SPAWN_DUP2, ends[0], 3), (os.POSIX_SPAWN_DUP2, ends[1], 4),
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, log, 1), (os.POSIX_SPAWN_DUP2, log, 2)])
        for fd in (*ends, log):
            os.close(fd)
        self._buffer = b""
        self._last_id = 0
        self.events: list[dict] = []

    def call(self, method: str, session: str | None = None, timeout: float = 30.0, **params) -> dict:
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline, method)
            if answer.get("id") != self._last_id:
                self.events.append(answer)
                continue
            if "error" in answer:
                raise BrowserError(f"{method}: {answer['error']}")
            return answer["result"]

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        """The first event ``method`` not yet waited for (it is consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(self._read(deadline, method))

    def _read(self, deadline: float, waiting_for: str) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise BrowserError(f"no answer to {waiting_for} in time; chromium's log: {self.log}")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise BrowserError(f"chromium went away; its log: {self.log}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        """Kill the browser and every process of its session, and remove its directories."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self._commands)
        os.close(self._answers)
        _wait_for_session_to_end(self.pid)  # a renderer that outlives the kill for a moment may still write
        for directory in (self.home, self.tmp):
            shutil.rmtree(directory, ignore_errors=True)


def _wait_for_session_to_end(sid: int, timeout: float = 5.0) -> None:
    """Until no process of session ``sid`` is left (SIGKILLed ones are reaped by init), or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                alive = True
                break
        if not alive:
            return
        time.sleep(0.05)


class Page:
    """One tab: open a file, read what is shown, click like a person, take a screenshot."""

    def __init__(self, browser: Chromium):
        self.browser = browser
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params) -> dict:
        return self.browser.call(method, self.session, **params)

    def open(self, path: Path) -> None:
        self.browser.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.browser.wait_for("Page.loadEventFired")
        self.evaluate("document.readyState")  # every event the load produced has arrived before this answer

    def evaluate(self, expression: str):
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression!r} raised: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def errors(self) -> list[str]:
        """What the console and the page reported as errors: exceptions, console.error, blocked loads."""
        found = []
        for event in self.browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description")
                             or params["exceptionDetails"].get("text"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text"))
        return found

    def click(self, selector: str) -> None:
        """A real left click (mouse down and up) in the middle of the element's left part."""
        box = self.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return {{x: r.left + Math.min(40, r.width / 2), y: r.top + r.height / 2}};
        }})()""")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
