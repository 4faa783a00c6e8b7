"""Running faultlab as a person at a terminal does: on a fresh pseudo-terminal, reading all it draws."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Callable

from command_line import env_for


def on_a_terminal(root: Path, *args: str, respond: Callable[[bytes], bytes | None] | None = None,
                  timeout: float = 240) -> tuple[int, str]:
    """``faultlab ARGS`` with stdin, stdout and stderr on a 100-column pseudo-terminal: (exit status, output).

    ``respond(everything_seen_so_far)`` is asked after each read and may return keys to type.
    """
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "faultlab", *args], cwd=root, env=env_for(root, TERM="xterm"),
                            stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            keys = respond(seen) if respond else None
            if keys:
                os.write(main, keys)
        status = proc.wait(timeout=30)
    finally:
        proc.kill()
        os.close(main)
    return status, seen.decode(errors="backslashreplace")
