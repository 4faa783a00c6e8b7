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


def _show_undecodable_bytes(hook):
    """``sys.excepthook`` that also prints the bytes around an uncaught decode error's position.

    Python's message names one byte ("can't decode byte 0xed in position 13"); a person, and
    faultlab's byte strip, need the bytes around it: one line after the traceback.
    """
    def excepthook(kind, value, tb):
        hook(kind, value, tb)
        if isinstance(value, UnicodeDecodeError) and isinstance(value.object, (bytes, bytearray)):
            start = max(0, value.start - 16)
            window = bytes(value.object[start:value.start + 16])
            try:
                import sys

                sys.stderr.write(f"faultlab: the bytes {value.encoding} could not decode, from byte {start} "
                                 f"of {len(value.object)}: {window.hex(' ')}\n")
            except Exception:  # a closed stderr: the traceback was all there was to say
                pass
    return excepthook


def _install_the_excepthook() -> None:
    import sys

    sys.excepthook = _show_undecodable_bytes(sys.excepthook)


_install_the_excepthook()


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
