/* @description CWE-252: a loader ignores its store's error return and reports success.
 * kv_load() reads a key-value blob: the magic "KVS1", the blob's size (4 bytes), then
 * entries [type][keylen][key][vallen][value] of type 'I' (a 4-byte integer) or 'S' (a
 * string). The store refuses a string longer than its 24-byte slot, and a 17th distinct
 * key, with -1 (E2BIG, ENOSPC). The broken loader drops that return and counts the entry
 * as loaded, so kv_load() says "n entries" while the store holds fewer (the binding's
 * oracle: swallowed-error). Only a blob whose size field is right (a mutation that grows
 * a value must fix it too) gets that far. The fix passes the failure on: kv_load()
 * returns -1 and sets errno. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KV_MAGIC 0x3153564bu /* "KVS1", little-endian */
#define KV_SLOTS 16
#define KV_VALUE_MAX 24

struct slot {
    char key[9];
    uint8_t value[KV_VALUE_MAX];
    size_t len;
};

static struct slot store[KV_SLOTS];
static size_t used;
static int stored; /* successful puts since the last kv_load() began */

static int store_put(const uint8_t *key, size_t keylen, const uint8_t *value, size_t len) {
    size_t i;
    if (len > KV_VALUE_MAX) {
        errno = E2BIG;
        return -1;
    }
    for (i = 0; i < used; i++)
        if (strlen(store[i].key) == keylen && memcmp(store[i].key, key, keylen) == 0)
            break;
    if (i == used) {
        if (used == KV_SLOTS) {
            errno = ENOSPC;
            return -1;
        }
        memcpy(store[i].key, key, keylen);
        store[i].key[keylen] = '\0';
        used++;
    }
    memcpy(store[i].value, value, len);
    store[i].len = len;
    stored++;
    return 0;
}

int kv_stored(void) { return stored; }

/* Returns the number of entries loaded, or -1 (errno set) when the blob was not loaded. */
int kv_load(const uint8_t *blob, size_t len) {
    uint32_t magic, size;
    int loaded = 0;
    if (len < 8)
        return -1;
    memcpy(&magic, blob, 4);
    memcpy(&size, blob + 4, 4);
    if (magic != KV_MAGIC || size != len) {
        errno = EINVAL;
        return -1;
    }
    memset(store, 0, sizeof store);
    used = 0;
    stored = 0;
    const uint8_t *p = blob + 8, *end = blob + len;
    while (p < end) {
        uint8_t type = *p++;
        if (p >= end || *p < 1 || *p > 8 || (size_t)(end - p - 1) < *p) {
            errno = EINVAL;
            return -1;
        }
        const uint8_t *key = p + 1;
        size_t keylen = *p;
        p += 1 + keylen;
        if (p >= end || (size_t)(end - p - 1) < *p) {
            errno = EINVAL;
            return -1;
        }
        const uint8_t *value = p + 1;
        size_t vallen = *p;
        p += 1 + vallen;
        if ((type == 'I' && vallen != 4) || (type != 'I' && type != 'S')) {
            errno = EINVAL;
            return -1;
        }
#ifdef FAULTLAB_FIXED
        if (store_put(key, keylen, value, vallen) < 0)
            return -1; /* FIX: the caller learns that the blob was not loaded */
#else
        store_put(key, keylen, value, vallen); /* FLAW: -1 (E2BIG, ENOSPC) is dropped */
#endif
        loaded++;
    }
    return loaded;
}
