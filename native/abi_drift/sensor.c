/* @description CWE-188: a struct the caller allocates gained a field, and old callers allocate too little.
 * sensor_read() fills a struct sensor_reading that the caller provides. Version 2.0
 * inserted `status` after `sensor_id`, which moved every later field and grew the
 * struct from 16 to 24 bytes. This library is built from the v2 header; a binding
 * declared from the v1 header allocates 16 bytes, and the library writes 24 into it
 * (sensor_read) or reads 24 from it (sensor_store). The library
 * is correct for its own header, so the fix lives in the binding and this file has no #ifdef. */
#include <stddef.h>
#include <stdint.h>

#include "sensor.h"

static struct sensor_reading stored; /* the one reading sensor_store() keeps */
static int have_stored;

int sensor_read(uint32_t sensor_id, struct sensor_reading *out) {
    if (have_stored && stored.sensor_id == sensor_id) {
        *out = stored;
        return 0;
    }
    out->sensor_id = sensor_id;
    out->status = 0;
    out->millicelsius = 21500 + (int32_t)sensor_id; /* a simulated sensor: 21.5 degC plus its id */
    out->timestamp_ns = 1700000000000000000ull + sensor_id; /* at offset 16: past the end of a v1 struct */
    return 0;
}

int sensor_store(const struct sensor_reading *reading) {
    stored = *reading; /* reads sizeof(struct sensor_reading) as v2 has it: 24 bytes */
    have_stored = 1;
    return 0;
}

int sensor_abi_version(void) {
    return SENSOR_ABI_VERSION;
}
