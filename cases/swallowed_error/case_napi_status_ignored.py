"""An addon drops the napi_status of a failed conversion and keeps the value it had before.

The runtime's rule: every Node-API call returns a ``napi_status``, and one that is not
``napi_ok`` has written nothing to its out-parameter. ``setLimit`` converts its argument
with ``napi_get_value_int32`` straight into the limiter's state and ignores the status.
Configuration hands it the string ``"5"``: the call returns ``napi_number_expected``, the
limit stays at the old 100, and JS hears nothing, so the service runs at twenty times the
rate it was told. The JS side's check finds the difference and says so
("faultlab.Detected: swallowed-error: ..."). The fix checks the status and throws a
``TypeError``; the JS caller, written for that contract, converts and retries.
"""

from faultlab import Case, Expect
from faultlab.lab import node

ADDON = "swallowed_error/napi/limiter.c"
SCRIPT = "swallowed_error/napi/apply_limit.js"

napi_status_ignored = Case(
    id="swallowed-error/napi-status-ignored",
    mode="swallowed-error",
    cwe="CWE-252",
    title="napi_get_value_int32 fails on a string, its status is ignored, and the old limit stays in force",
    explanation=__doc__,
    expect={"none": Expect("swallowed-error")},
    fix_in="native",
    runtime="node",
    sources=(ADDON, SCRIPT),
    requires=("node", "node-headers"),
)


@napi_status_ignored.broken
def status_dropped(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "broken"), "broken")


@napi_status_ignored.fixed
def status_checked_and_thrown(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "fixed"), "fixed")
