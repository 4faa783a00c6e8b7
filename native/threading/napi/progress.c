/* A file scanner that works on its own thread and reports each step to a JS callback.
 * Node-API's rule: napi_env and every napi_value belong to the thread that runs JS; another
 * thread reaches JS only through a napi_threadsafe_function, whose call_js runs on the JS thread. */
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define STEPS 3

struct scan {
    napi_env env;
    napi_ref on_progress;               /* broken: the callback, called from the worker */
    napi_threadsafe_function progress;  /* fixed: the queue to the JS thread */
};

#ifndef FAULTLAB_FIXED
static void *scan_files(void *arg) {
    struct scan *scan = arg;
    for (int step = 1; step <= STEPS; step++) {
        napi_handle_scope scope;
        napi_value callback, global, count;
        napi_open_handle_scope(scan->env, &scope); /* FLAW: enters V8 from the worker, with the JS thread's env */
        napi_get_reference_value(scan->env, scan->on_progress, &callback);
        napi_get_global(scan->env, &global);
        napi_create_int32(scan->env, step, &count);
        napi_call_function(scan->env, global, callback, 1, &count, NULL);
        napi_close_handle_scope(scan->env, scope);
    }
    return NULL;
}
#else
static void report_on_js_thread(napi_env env, napi_value callback, void *context, void *data) {
    napi_value global, count;
    (void)context;
    napi_get_global(env, &global);
    napi_create_int32(env, (int32_t)(intptr_t)data, &count);
    napi_call_function(env, global, callback, 1, &count, NULL);
}

static void *scan_files(void *arg) {
    struct scan *scan = arg;
    for (int step = 1; step <= STEPS; step++)
        napi_call_threadsafe_function(scan->progress, (void *)(intptr_t)step, napi_tsfn_blocking); /* FIX: queued for the JS thread */
    napi_release_threadsafe_function(scan->progress, napi_tsfn_release);
    return NULL;
}
#endif

static napi_value start_scan(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value callback;
    pthread_t worker;
    struct scan *scan = calloc(1, sizeof *scan);
    napi_get_cb_info(env, info, &argc, &callback, NULL, NULL);
    scan->env = env;
#ifndef FAULTLAB_FIXED
    napi_create_reference(env, callback, 1, &scan->on_progress);
#else
    napi_value name;
    napi_create_string_utf8(env, "scan progress", NAPI_AUTO_LENGTH, &name);
    napi_create_threadsafe_function(env, callback, NULL, name, 0, 1, NULL, NULL, NULL, report_on_js_thread,
                                    &scan->progress);
#endif
    pthread_create(&worker, NULL, scan_files, scan);
    pthread_detach(worker);
    return NULL;
}

NAPI_MODULE_INIT() {
    napi_value fn;
    napi_create_function(env, "startScan", NAPI_AUTO_LENGTH, start_scan, NULL, &fn);
    napi_set_named_property(env, exports, "startScan", fn);
    return exports;
}
