/* @description The boundary bench's Node-API addon: addOne(x) around bl_add_one() and
 * sum(int32Array, n) around bl_sum() over the typed array's own memory (no copy). Built with
 * gcc against Node's headers; the napi_* symbols are resolved from the node binary when
 * the addon is loaded. */
#include <node_api.h>

#include "boundary.h"

static napi_value add_one(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1], result;
    int32_t x = 0;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
        napi_get_value_int32(env, argv[0], &x) != napi_ok) {
        napi_throw_type_error(env, NULL, "addOne(x): x must be a number");
        return NULL;
    }
    napi_create_int32(env, bl_add_one(x), &result);
    return result;
}

static napi_value sum(napi_env env, napi_callback_info info) {
    size_t argc = 2, length = 0;
    napi_value argv[2], result;
    napi_typedarray_type type;
    void *data = NULL;
    uint32_t n = 0;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
        napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
        type != napi_int32_array || napi_get_value_uint32(env, argv[1], &n) != napi_ok || n > length) {
        napi_throw_type_error(env, NULL, "sum(xs, n): xs must be an Int32Array of at least n items");
        return NULL;
    }
    napi_create_double(env, (double)bl_sum((const int *)data, n), &result);
    return result;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_property_descriptor methods[] = {
        {"addOne", NULL, add_one, NULL, NULL, NULL, napi_default, NULL},
        {"sum", NULL, sum, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, 2, methods);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
