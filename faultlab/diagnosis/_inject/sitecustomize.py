"""Loaded by every Python process faultlab runs (its directory is put on PYTHONPATH).

It lets the hang watchdog ask for every thread's Python stack: SIGUSR1 makes
faulthandler dump all threads to stderr. The pid is recorded so the watchdog signals
only processes that installed the handler, never a C program that would die of it.
"""

import os
import signal

_dump_dir = os.environ.get("FAULTLAB_DUMP_DIR")
if _dump_dir and signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL:
    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)
    try:
        with open(os.path.join(_dump_dir, f"{os.getpid()}.python"), "w"):
            pass
    except OSError:
        pass
