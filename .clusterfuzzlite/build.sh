#!/bin/bash -eu
# ClusterFuzzLite build: every harness of fuzz/ becomes a fuzz target in $OUT.
#
# The service hands us its compiler and flags ($CC, $CFLAGS: -fsanitize=fuzzer-no-link plus
# the job's sanitizer). The native libraries of native/fuzz/ are compiled with them into
# $OUT/faultlab-libs/, where faultlab.fuzzing.harness finds them (FAULTLAB_FUZZ_LIBDIR, or a
# PyInstaller bundle's own folder) instead of faultlab's clang-16 build cache. The libraries
# are built from the current headers (native/fuzz/include/v2); v1 exists only as the broken
# binding's view. Built is the fixed variant: on the service a crash means a regression.
# FAULTLAB_VARIANT=broken builds the planted bugs instead.
#
# Inside the service's image, compile_python_fuzzer packages each harness with PyInstaller.
# Elsewhere (tests/test_fuzz.py runs this script with CC=clang-16) each target is a small
# launcher script for the local interpreter; the runtime (LD_PRELOAD) is then the caller's.

repo=${FAULTLAB_SRC:-$SRC/faultlab}
variant=${FAULTLAB_VARIANT:-fixed}
python=${PYTHON:-python3}
libs=$OUT/faultlab-libs
mkdir -p "$libs"
cd "$repo"

defines=()
[ "$variant" = fixed ] && defines+=(-DFAULTLAB_FIXED)
for src in native/fuzz/*.c; do
  name=$(basename "$src" .c)
  # shellcheck disable=SC2086  # $CFLAGS is a list of flags
  $CC $CFLAGS -g -O1 -fPIC -shared -fno-omit-frame-pointer -pthread -Inative/fuzz/include/v2 \
    "${defines[@]}" "$src" -o "$libs/lib$name.so"
done
echo "$variant" > "$libs/variant"

if command -v compile_python_fuzzer >/dev/null; then
  "$python" -m pip install --no-deps --no-build-isolation .
fi
for harness in fuzz/*.py; do
  target=$(basename "$harness" .py)
  if command -v compile_python_fuzzer >/dev/null; then
    compile_python_fuzzer "$harness" --add-binary="$libs/*.so:." --add-data="$libs/variant:." \
      --add-data="native/fuzz/include:native/fuzz/include"
  else
    cat > "$OUT/$target" <<LAUNCHER
#!/bin/sh
# $target, built by .clusterfuzzlite/build.sh outside the service's image ($variant variant).
export FAULTLAB_FUZZ_LIBDIR="$libs"
exec "$(command -v "$python")" "$repo/$harness" "\$@"
LAUNCHER
    chmod +x "$OUT/$target"
  fi
  if [ -d "fuzz/corpus/$target" ]; then
    (cd "fuzz/corpus/$target" && "$python" -m zipfile -c "$OUT/${target}_seed_corpus.zip" ./*)
  fi
done
