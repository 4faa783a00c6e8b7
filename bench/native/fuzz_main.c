/* @description The pure-C libFuzzer harness of the fuzz bench: the same target as the atheris
 * harness (bench/fuzz_harness.py), with no Python in the loop. */
#include <stddef.h>
#include <stdint.h>

int ft_parse(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ft_parse(data, size);
    return 0;
}
