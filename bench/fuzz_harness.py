"""atheris harness of the fuzz bench: ft_parse() of bench/native/fuzz_target.c, called from Python.

    LD_PRELOAD=<shared libFuzzer> python bench/fuzz_harness.py ctypes|cffi TARGET_SO [libFuzzer flags]

TARGET_SO is built with clang's -fsanitize=fuzzer-no-link, so its coverage counters and
comparisons reach the preloaded libFuzzer that atheris drives ("Using preloaded libfuzzer").
The binding is the cases' own choice of two: ctypes, or cffi in ABI mode.
"""

import sys

import atheris


def load(binding: str, path: str):
    if binding == "cffi":
        import cffi

        ffi = cffi.FFI()
        ffi.cdef("int ft_parse(const char *data, size_t size);")
        return ffi.dlopen(path).ft_parse
    import ctypes

    parse = ctypes.CDLL(path).ft_parse
    parse.argtypes = (ctypes.c_char_p, ctypes.c_size_t)
    parse.restype = ctypes.c_int
    return parse


def main():
    binding, path, *flags = sys.argv[1:]
    parse = load(binding, path)

    def TestOneInput(data: bytes):
        parse(data, len(data))

    atheris.Setup([sys.argv[0], *flags], TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
