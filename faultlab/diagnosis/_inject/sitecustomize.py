"""Loaded by every Python process faultlab runs (its directory is put first on PYTHONPATH).

It lets the hang watchdog ask for every thread's Python stack: SIGUSR1 makes
faulthandler dump all threads to stderr. The pid is recorded so the watchdog signals
only processes that installed the handler, never a C program that would die of it.

Standing first on the path, this module hides any other ``sitecustomize``: the user's own
(on their PYTHONPATH, or in site-packages) is found past this directory and run after it,
as Python would have run it.
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


def _run_the_users_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module  # the program sees the user's module, as without faultlab
    spec.loader.exec_module(module)


_run_the_users_sitecustomize()
