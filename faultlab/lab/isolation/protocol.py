"""The fork server's wire: one JSON message per line over a stream socket.

The client sends a run request (case file, case id, variant, work directory, cwd, memory
limit); the server answers ``{"pid": ...}`` once it has forked and ``{"status": ...}``
(a wait status) when the child has ended, or ``{"error": ...}``. A closed socket is the
end of the conversation on either side.
"""

from __future__ import annotations

import json
import select
import socket
import time


class Channel:
    """JSON messages, one per line, over a stream socket; ``receive`` honours a timeout."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = b""

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def receive(self, timeout: float | None) -> dict | None:
        """The next message; None when the peer has gone; TimeoutError past ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.sock], [], [], left)[0]:
                raise TimeoutError
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)
