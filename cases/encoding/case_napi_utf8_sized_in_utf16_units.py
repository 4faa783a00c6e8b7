"""An addon sizes its UTF-8 copy of a JS string by the string's UTF-16 length, and the emoji is cut off.

The runtime's rule: a JS string has no single length; Node-API gives the length in the
encoding asked for, UTF-16 code units (``.length``) from ``napi_get_value_string_utf16``
and bytes from ``napi_get_value_string_utf8``, each called with no buffer. The label store
measures in UTF-16 units and copies UTF-8 into that many bytes. ASCII fits exactly; each
accented letter needs two bytes for one unit and an emoji four for two, so the copy runs
out of room. ``napi_get_value_string_utf8`` then copies what fits, stops before a
character it would cut, and returns ``napi_ok``: "Tschüss 👋" comes back as "Tschüss "
with no error anywhere, and no byte is written out of bounds, so AddressSanitizer has
nothing to say either. The round trip check in JS finds it. The fix asks for the length
in UTF-8 bytes.
"""

from faultlab import Case, Expect
from faultlab.lab import node

ADDON = "encoding/napi/labels.c"
SCRIPT = "encoding/napi/round_trip.js"

napi_utf8_sized_in_utf16_units = Case(
    id="encoding/napi-utf8-sized-in-utf16-units",
    mode="encoding",
    cwe="CWE-135",
    title="A UTF-8 buffer sized in UTF-16 units: napi_get_value_string_utf8 silently drops the emoji",
    explanation=__doc__,
    expect={"none": Expect("silent-corruption"), "asan": Expect("silent-corruption")},
    fix_in="native",
    runtime="node",
    sources=(ADDON, SCRIPT),
    requires=("node", "node-headers"),
)


@napi_utf8_sized_in_utf16_units.broken
def sized_in_utf16_units(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "broken"), "broken")


@napi_utf8_sized_in_utf16_units.fixed
def sized_in_utf8_bytes(configuration):
    return node.command(SCRIPT, node.addon(ADDON, configuration, "fixed"), "fixed")
