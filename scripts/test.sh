#!/usr/bin/env bash
# Set-up command 2: install what is missing, build everything into build/ and
# run the whole test suite with ctest (analyzer fixtures and CLI, runtime,
# packaging, and the runtime under ThreadSanitizer and ASan+UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTETHER_BUILD_FUZZERS=ON
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
