"""JS lays a Float32Array over a Buffer whose C side widened its samples to double.

The runtime's rule: a Buffer an addon returns is bytes; the element type JS reads them
as is a promise about C's layout that Node-API neither carries nor checks. The sampler
hands back its readings zero-copy and version 2 widened ``sample_t`` from float to
double; the reader still lays a ``Float32Array`` over them, as for version 1. Nothing
fails: three doubles read as six floats, each low half ``0`` and each high half a number
near the right one (``0, 1.75, 0, 1.9375, ...``), and an average that is wrong but
plausible. The check against the addon's own total finds it ("faultlab.Detected:
abi-mismatch: ..."). The fix reads doubles and first checks the sample size the addon
reports, so the next drift fails loudly at load.
"""

from faultlab import Case, Expect
from faultlab.lab import node

ADDON = "abi_drift/napi/sampler.c"
SCRIPT = "abi_drift/napi/average.js"

napi_buffer_layout_drift = Case(
    id="abi-drift/napi-buffer-layout-drift",
    mode="abi-drift",
    cwe="CWE-843",
    title="A Float32Array laid over a Buffer of doubles: the sampler's v2 layout read with v1's element type",
    explanation=__doc__,
    expect={"none": Expect("abi-mismatch")},
    fix_in="binding",
    runtime="node",
    sources=(SCRIPT, ADDON),
    requires=("node", "node-headers"),
)


@napi_buffer_layout_drift.broken
def reads_v1_floats(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "broken"), "broken")


@napi_buffer_layout_drift.fixed
def reads_checked_doubles(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "fixed"), "fixed")
