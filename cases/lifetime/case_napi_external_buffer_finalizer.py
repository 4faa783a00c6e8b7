"""An external buffer's finalizer frees a frame that the addon still holds and reads.

The runtime's rule: ``napi_create_external_buffer`` lends JS memory the addon owns, and
its finalizer runs once JS has let go of the buffer; it may free only what the buffer
alone owns. The camera lends JS its latest frame without copying and keeps a pointer to
the frame for ``checksum()`` and ``close()``, but the finalizer frees the frame outright.
After the preview's buffer is collected, ``checksum()`` reads the freed frame (a heap use
after free that returns a wrong number without complaint) and ``close()`` frees it a
second time. glibc sees only the second free ("free(): double free detected in tcache
2"); AddressSanitizer, preloaded into node, stops at the first read. The fix counts the
frame's owners, the camera and the buffer, and the last one to let go frees it.
"""

from faultlab import Case, Expect
from faultlab.lab import node

ADDON = "lifetime/napi/camera.c"
SCRIPT = "lifetime/napi/preview.js"

napi_external_buffer_finalizer = Case(
    id="lifetime/napi-external-buffer-finalizer",
    mode="lifetime",
    cwe="CWE-416",
    title="An external buffer's finalizer frees the frame the addon still reads and frees again",
    explanation=__doc__,
    expect={"none": Expect("double-free", frame="release_frame"),
            "asan": Expect("heap-use-after-free", frame="checksum_latest", access="READ")},
    fix_in="native",
    runtime="node",
    sources=(ADDON, SCRIPT),
    requires=("node", "node-headers"),
)


def preview(configuration, variant):
    # --expose-gc: the script collects the preview's buffer when it is done with it, not whenever V8 likes.
    return node.command(SCRIPT, node.addon(ADDON, configuration, variant), variant, options=("--expose-gc",))


@napi_external_buffer_finalizer.broken
def finalizer_frees_a_shared_frame(configuration):
    return preview(configuration, "broken")


@napi_external_buffer_finalizer.fixed
def last_owner_frees_the_frame(configuration):
    return preview(configuration, "fixed")
