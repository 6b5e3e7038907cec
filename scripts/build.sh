#!/usr/bin/env bash
# Set-up command 1: install what is missing, build everything (analyzer,
# runtime, examples, tests, benchmarks) into build/, then run tether on the
# bundled examples and print its findings.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

echo
echo "== tether on the bundled examples (examples/) =="
set +e
# Every example except the runtime rewrites (examples/*/good/).
mapfile -t bad < <(find examples -name '*.cpp' -not -path '*/good/*' | sort)
build/bin/tether -p build "${bad[@]}"
status=$?
set -e
echo "(exit code $status: 0 no findings, 1 findings, 2 error)"
echo
echo "== tether on the same program rewritten onto the runtime (examples/workflow/good) =="
mapfile -t good < <(find examples -path '*/good/*' -name '*.cpp' | sort)
build/bin/tether -p build "${good[@]}" && echo "no findings"
[ "$status" -le 1 ]
