/* A label store: JS sets a label, C keeps its own NUL-terminated UTF-8 copy. Node-API
 * measures a string in whatever encoding is asked: napi_get_value_string_utf16 with no
 * buffer gives UTF-16 code units (JS's .length), napi_get_value_string_utf8 gives bytes.
 * Given a buffer too small, napi_get_value_string_utf8 copies what fits, stopping before a
 * character that would be cut, and returns napi_ok. */
#include <node_api.h>
#include <stdlib.h>

static char *label;

static napi_value set_label(napi_env env, napi_callback_info info) {
    size_t argc = 1, size, copied;
    napi_value text;
    napi_get_cb_info(env, info, &argc, &text, NULL, NULL);
#ifndef FAULTLAB_FIXED
    napi_get_value_string_utf16(env, text, NULL, 0, &size); /* FLAW: UTF-16 code units, not the bytes UTF-8 needs */
#else
    napi_get_value_string_utf8(env, text, NULL, 0, &size); /* FIX: the length in UTF-8 bytes */
#endif
    free(label);
    label = malloc(size + 1);
    napi_get_value_string_utf8(env, text, label, size + 1, &copied);
    return NULL;
}

static napi_value get_label(napi_env env, napi_callback_info info) {
    napi_value text;
    (void)info;
    napi_create_string_utf8(env, label, NAPI_AUTO_LENGTH, &text);
    return text;
}

NAPI_MODULE_INIT() {
    napi_property_descriptor methods[] = {
        {"setLabel", NULL, set_label, NULL, NULL, NULL, napi_default, NULL},
        {"getLabel", NULL, get_label, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
    return exports;
}
