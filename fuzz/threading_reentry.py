"""Fuzz an event queue that calls back into Python while holding its own lock (threading, CWE-833).

The runtime rule: a library must not hold a lock while it runs foreign code that may call
back into it. native/fuzz/event_queue.c delivers queued events from eq_feed() with its
mutex held; the binding's handler asks eq_pending() how much is left, which takes the
same mutex. Only a stream with the magic "EVQ1", a deferred event ('D') and then a flush
('F') gets there; the thread then waits for itself. faultlab's watchdog sees the fuzzing
process stand still (libFuzzer's RSS thread asleep beside it) and has libFuzzer save the
input within a second, long before the 2 s per-input timeout; the replay finds every
thread blocked: a deadlock. The fixed build unlocks before it calls out.
"""

import atheris

from faultlab.fuzzing import FuzzTarget, harness
from faultlab import Library

TARGET = FuzzTarget(mode="threading", cwe="CWE-833", expect="deadlock", timeout=2.0)
LIB = Library("fuzz/event_queue")
ffi, lib = harness.cffi(LIB, """
typedef void (*eq_handler)(int kind, const uint8_t *payload, size_t len);
int eq_feed(const uint8_t *stream, size_t len, eq_handler handler);
size_t eq_pending(void);
""")


@ffi.callback("void(int, const uint8_t *, size_t)")
def on_event(kind, payload, size):
    lib.eq_pending()  # the binding reports progress: re-enters the library


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    if len(data) < 6:
        return  # magic and one event at least
    lib.eq_feed(data, len(data), on_event)


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
