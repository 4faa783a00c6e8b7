/* A camera that lends JS its latest frame without copying, as an external buffer, and
 * keeps the frame to checksum it later. Node-API's rule: the finalizer of an external
 * buffer runs when JS no longer holds the buffer, and it may free only what the buffer
 * alone owns. */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

#define PIXELS 64

struct frame {
    int owners; /* the camera, and the external buffer while JS holds it */
    unsigned char pixels[PIXELS];
};

static struct frame *latest; /* the camera's own reference, for checksum() and close() */
static int32_t lent;         /* external buffers JS has not let go of yet */

#ifndef FAULTLAB_FIXED
static void release_frame(struct frame *frame) {
    free(frame); /* FLAW: whoever lets go first frees the frame, though the other still points to it */
}
#else
static void release_frame(struct frame *frame) {
    if (--frame->owners == 0) /* FIX: the last owner frees the frame */
        free(frame);
}
#endif

static void buffer_finalized(napi_env env, void *data, void *hint) {
    (void)env; (void)data;
    lent--;
    release_frame(hint); /* JS has let go of its buffer; the camera has not let go of the frame */
}

static napi_value capture(napi_env env, napi_callback_info info) {
    napi_value buffer;
    (void)info;
    latest = malloc(sizeof *latest);
    latest->owners = 2;
    lent++;
    for (int i = 0; i < PIXELS; i++)
        latest->pixels[i] = (unsigned char)(i * 7);
    napi_create_external_buffer(env, PIXELS, latest->pixels, buffer_finalized, latest, &buffer);
    return buffer;
}

static uint32_t checksum_latest(void) {
    uint32_t sum = 0;
    for (int i = 0; i < PIXELS; i++)
        sum = sum * 31 + latest->pixels[i]; /* reads the frame the camera kept */
    return sum;
}

static napi_value checksum(napi_env env, napi_callback_info info) {
    napi_value value;
    (void)info;
    napi_create_uint32(env, checksum_latest(), &value);
    return value;
}

static napi_value frames_lent(napi_env env, napi_callback_info info) {
    napi_value value;
    (void)info;
    napi_create_int32(env, lent, &value);
    return value;
}

static napi_value close_camera(napi_env env, napi_callback_info info) {
    (void)env; (void)info;
    release_frame(latest);
    latest = NULL;
    return NULL;
}

NAPI_MODULE_INIT() {
    napi_property_descriptor methods[] = {
        {"capture", NULL, capture, NULL, NULL, NULL, napi_default, NULL},
        {"checksum", NULL, checksum, NULL, NULL, NULL, napi_default, NULL},
        {"framesLent", NULL, frames_lent, NULL, NULL, NULL, napi_default, NULL},
        {"close", NULL, close_camera, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
    return exports;
}
