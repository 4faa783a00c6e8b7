"""A Node-API addon calls a JS callback from its own worker thread; V8 stops the process.

The runtime's rule: a ``napi_env`` and every ``napi_value`` belong to the thread that runs
JS, and V8 may be entered only by the thread that holds its isolate. The scanner starts a
worker and hands it the env; the worker opens a handle scope and calls the progress
callback directly. V8's API check sees no lock held and stops the process with a
breakpoint (SIGTRAP) before any JS runs: "# Fatal error in HandleScope::HandleScope /
# Entering the V8 API without proper locking in place". Without that check (a release
build of another engine, a call that happens not to touch the heap) the callback would
race the JS thread. The fix hands the worker a ``napi_threadsafe_function``: the worker
queues each step and ``call_js`` makes the call on the JS thread.
"""

from faultlab import Case, Expect
from faultlab.lab import node

ADDON = "threading/napi/progress.c"
SCRIPT = "threading/napi/scan.js"

napi_js_from_own_thread = Case(
    id="threading/napi-js-from-own-thread",
    mode="threading",
    cwe="CWE-663",
    title="An addon's worker thread calls a JS callback with the JS thread's napi_env; V8's locker check aborts",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation", frame="scan_files")},
    fix_in="native",
    runtime="node",
    sources=(ADDON, SCRIPT),
    requires=("node", "node-headers"),
)


@napi_js_from_own_thread.broken
def calls_js_from_the_worker(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "broken"), "broken")


@napi_js_from_own_thread.fixed
def queues_through_a_threadsafe_function(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "fixed"), "fixed")
