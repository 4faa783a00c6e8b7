/* A sampler that hands JS its readings as raw bytes in a Buffer, zero-copy style: the JS
 * side lays a typed array over them, so it must know the C element type. Version 2 of the
 * sampler widened sample_t from float to double for precision. */
#include <node_api.h>
#include <stdlib.h>

typedef double sample_t; /* v1: typedef float sample_t; */

#define COUNT 3

static sample_t reading(int i) { return i + 0.5; }

static void free_samples(napi_env env, void *data, void *hint) {
    (void)env; (void)hint;
    free(data);
}

static napi_value read_samples(napi_env env, napi_callback_info info) {
    napi_value buffer;
    sample_t *samples = malloc(COUNT * sizeof *samples);
    (void)info;
    for (int i = 0; i < COUNT; i++)
        samples[i] = reading(i);
    napi_create_external_buffer(env, COUNT * sizeof *samples, samples, free_samples, NULL, &buffer);
    return buffer;
}

static napi_value total(napi_env env, napi_callback_info info) {
    napi_value value;
    double sum = 0;
    (void)info;
    for (int i = 0; i < COUNT; i++)
        sum += reading(i);
    napi_create_double(env, sum, &value);
    return value;
}

NAPI_MODULE_INIT() {
    napi_value size;
    napi_property_descriptor members[] = {
        {"readSamples", NULL, read_samples, NULL, NULL, NULL, napi_default, NULL},
        {"total", NULL, total, NULL, NULL, NULL, napi_default, NULL},
        {"sampleBytes", NULL, NULL, NULL, NULL, NULL, napi_enumerable, NULL},
    };
    napi_create_uint32(env, sizeof(sample_t), &size);
    members[2].value = size;
    napi_define_properties(env, exports, sizeof members / sizeof members[0], members);
    return exports;
}
