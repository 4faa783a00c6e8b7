#!/usr/bin/env bash
# Idempotent set-up for a fresh machine of this kind (Debian 12, root): the system
# packages faultlab needs when they are missing, then the project in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v clang-16 >/dev/null || need+=(clang-16)
[ -e /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a ] || need+=(libclang-rt-16-dev)
command -v llvm-symbolizer-16 >/dev/null || [ -e /usr/lib/llvm-16/bin/llvm-symbolizer ] || need+=(llvm-16)
command -v gdb >/dev/null || need+=(gdb)
command -v eu-stack >/dev/null || need+=(elfutils)
command -v dot >/dev/null || need+=(graphviz)
command -v chromium >/dev/null || need+=(chromium)
command -v javac >/dev/null || [ -d /usr/lib/jvm ] || need+=(openjdk-17-jdk-headless)
command -v go >/dev/null || [ -x /usr/lib/go/bin/go ] || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "faultlab setup: missing ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
    exit 2
  fi
  echo "faultlab setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.faultlab-installed
digest=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[fuzz,test,bench]'
  echo "$digest" > "$stamp"
fi
