"""A C extension's own thread calls back into Python without taking the GIL.

The runtime's rule: only a thread that holds the GIL, with a Python thread state, may
call the Python C-API; a thread created by ``pthread_create`` has neither until it calls
``PyGILState_Ensure()``. The extension reports a value to a Python callback from its own
native thread and forgets that step: it builds an ``int`` and calls the callback as if it
were the interpreter's thread. With the default allocator the ``int`` is carved out of
pymalloc's pools unlocked, racing the interpreter's own allocations, and the call then
dereferences a NULL thread state (a bare SIGSEGV, no Python frame in the crashing
thread). Under ``PYTHONMALLOC=debug`` CPython stops at the first allocation instead, with
a message that names the bug: "Fatal Python error: _PyMem_DebugMalloc: Python memory
allocator called without holding the GIL". The fix is in the C code:
``PyGILState_Ensure()`` / ``PyGILState_Release()`` around the upcall.
"""

import importlib.machinery
import importlib.util

from faultlab import Case, Expect, Library

LIB = Library("threading/gil_violation", python=True)

gil_violation = Case(
    id="threading/gil-violation",
    mode="threading",
    cwe="CWE-667",
    title="a native thread calls the Python C-API without PyGILState_Ensure",
    explanation=__doc__,
    expect={"pymalloc-debug": Expect("gil-violation", frame="report_from_native_thread")},
    fix_in="native",
    libraries=(LIB,),
)


def import_extension():
    """The library as the CPython extension module it is (PyInit_libgil_violation)."""
    path = str(LIB.path())
    loader = importlib.machinery.ExtensionFileLoader("libgil_violation", path)
    spec = importlib.util.spec_from_file_location("libgil_violation", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def report_through_a_native_thread():
    received = []
    import_extension().notify_from_native_thread(received.append, 1 << 20)  # an int that must be allocated
    assert received == [1 << 20], received


@gil_violation.broken
def upcall_without_the_gil():
    report_through_a_native_thread()  # the broken build calls the C-API with no thread state


@gil_violation.fixed
def upcall_with_pygilstate_ensure():
    report_through_a_native_thread()  # the fixed build wraps the upcall in PyGILState_Ensure/Release
