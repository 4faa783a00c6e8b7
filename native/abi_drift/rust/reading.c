/* A sensor reading as the C header declares it: fields in this order, no padding. */
#include <stdint.h>

struct reading {
    uint8_t channel;
    uint8_t flags;
    uint16_t scale;
    uint32_t raw;
};

uint64_t reading_value(const struct reading *r) { return (uint64_t)r->raw * r->scale; }
uint8_t reading_channel(const struct reading *r) { return r->channel; }
