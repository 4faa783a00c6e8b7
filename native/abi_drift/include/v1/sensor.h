/* sensor.h: the latest reading of a temperature sensor, in a struct the caller allocates.
 * No include guard and no #include: the library includes <stddef.h> and <stdint.h> first,
 * and bindings hand this file verbatim to cffi's cdef(), which reads declarations only. */
#define SENSOR_ABI_VERSION 1

struct sensor_reading {
    uint32_t sensor_id;
    int32_t millicelsius;
    uint64_t timestamp_ns;
};

/* Fills *out, which the caller allocates, with the latest reading of sensor_id; returns 0. */
int sensor_read(uint32_t sensor_id, struct sensor_reading *out);
/* Keeps a copy of *reading as the latest of its sensor (a replayed log, a calibration); returns 0. */
int sensor_store(const struct sensor_reading *reading);
/* SENSOR_ABI_VERSION as the library was built: a binding compares it with its own. */
int sensor_abi_version(void);
