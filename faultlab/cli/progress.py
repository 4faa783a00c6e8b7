"""How a long command talks while it works: a live bar on a terminal, plain lines in a log.

On a terminal (a tty, ``TERM`` not ``dumb``, not under ``CI``) ``Progress`` redraws one
status line in place, with a bar, a count and the seconds the current step has taken;
permanent lines are printed above it. Anywhere else it never redraws and never prints
control characters: each finished step is one ordinary line, so CI logs stay greppable.
Colour follows the https://no-color.org convention (``NO_COLOR`` wins, then
``FORCE_COLOR``, then whether the stream is a terminal).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
         "cyan": "36", "reverse": "7"}


def interactive(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal where a line can be redrawn (not a pipe, a file or a CI log)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def terminal_width(stream: TextIO, default: int = 80) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns if interactive(stream) else 0
    except (OSError, ValueError, AttributeError):
        columns = 0
    return columns if columns >= 20 else default  # a fresh pty reports 0 columns


class Palette:
    """Paints text with ANSI styles, or returns it unchanged when colour is off."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def paint(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_ANSI[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def __getattr__(self, style: str):
        if style not in _ANSI:
            raise AttributeError(style)
        return lambda text: self.paint(text, style)


class Progress:
    """Counts the steps of a long command and shows what runs now.

    ``start(text)`` names the step that begins; ``done(line)`` ends it (the line, if
    any, is printed for good); ``echo(text)`` prints lines between steps. Use it as a
    context manager so the status line is wiped however the command ends.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, live: bool | None = None,
                 colour: bool | None = None, width: int | None = None):
        self.total = max(total, 0)
        self.count = 0
        self.stream = stream or sys.stdout
        self.live = interactive(self.stream) if live is None else live
        self.palette = Palette(colour_enabled(self.stream) if colour is None else colour)
        self.width = width or terminal_width(self.stream)
        self._text = ""
        self._started = 0.0
        self._drawn = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> "Progress":
        if self.live:
            self._ticker = threading.Thread(target=self._tick, name="faultlab-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, text: str) -> None:
        with self._lock:
            self._text = text
            self._started = time.monotonic()
            self._draw()

    def done(self, line: str | None = None) -> None:
        with self._lock:
            self.count = min(self.count + 1, self.total) if self.total else self.count + 1
            self._text = ""
            if line is not None:
                prefix = f"[{self.count}/{self.total}] " if self.total and not self.live else ""
                self._print(prefix + line)
            self._draw()

    def echo(self, text: str = "") -> None:
        with self._lock:
            self._print(text)
            self._draw()

    def hide(self) -> None:
        """Wipe the live line until the next step or echo, e.g. while waiting for the user."""
        with self._lock:
            self._wipe()
            self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._wipe()
            self.stream.flush()

    def status_line(self) -> str:
        """The live line: bar, count, the current step and how long it has taken."""
        cells = 20
        filled = cells * self.count // self.total if self.total else 0
        bar = "█" * filled + "░" * (cells - filled)
        spin = _SPINNER[int(time.monotonic() * 10) % len(_SPINNER)] if self._text else " "
        elapsed = f" {time.monotonic() - self._started:4.1f} s" if self._text else ""
        line = f"{bar} {self.count}/{self.total} {spin} {self._text}{elapsed}"
        return line[: max(self.width - 1, 10)]

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                if self._text:
                    self._draw()

    def _draw(self) -> None:
        if not self.live:
            return
        self.stream.write("\r\x1b[2K" + self.palette.paint(self.status_line(), "cyan"))
        self.stream.flush()
        self._drawn = True

    def _wipe(self) -> None:
        if self.live and self._drawn:
            self.stream.write("\r\x1b[2K")
            self._drawn = False

    def _print(self, text: str) -> None:
        self._wipe()
        self.stream.write(text + "\n")
        self.stream.flush()
