/* A rate limiter whose limit JS sets. Every Node-API call returns a napi_status, and a call
 * that fails leaves its out-parameter as it was: napi_get_value_int32 on a string returns
 * napi_number_expected and writes nothing. */
#include <node_api.h>
#include <stdint.h>

static int32_t limit = 100; /* requests per second until told otherwise */

static napi_value set_limit(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value value;
    napi_get_cb_info(env, info, &argc, &value, NULL, NULL);
#ifndef FAULTLAB_FIXED
    napi_get_value_int32(env, value, &limit); /* FLAW: the status is dropped; a string leaves the old limit in place */
#else
    int32_t requested;
    if (napi_get_value_int32(env, value, &requested) != napi_ok) { /* FIX: a failed conversion reaches JS as a TypeError */
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "limit must be a number");
        return NULL;
    }
    limit = requested;
#endif
    return NULL;
}

static napi_value get_limit(napi_env env, napi_callback_info info) {
    napi_value value;
    (void)info;
    napi_create_int32(env, limit, &value);
    return value;
}

NAPI_MODULE_INIT() {
    napi_property_descriptor methods[] = {
        {"setLimit", NULL, set_limit, NULL, NULL, NULL, napi_default, NULL},
        {"getLimit", NULL, get_limit, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
    return exports;
}
