#!/usr/bin/env bash
# The fuzzers in the test suite (TETHER_BUILD_FUZZERS=ON): a separate clang
# build of fuzz/, then a short run of each target from its seed corpus.
#
#   ctest.sh build <source-dir> <fuzz-build-dir> <clang++>
#   ctest.sh run <fuzz-build-dir> <target> <seconds> <seed-corpus-dir>
#
# A run writes new inputs to a scratch corpus in the build directory, never
# into the repository; a crash leaves its input there (crash-*) and fails.
set -euo pipefail
case "$1" in
build)
  src=$2 build=$3 cxx=$4
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$src/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" >/dev/null
  cmake --build "$build" -j"$(nproc)"
  ;;
run)
  build=$2 target=$3 seconds=$4 seeds=$5
  scratch="$build/corpus-$target"
  mkdir -p "$scratch" "$build/artifacts"
  "$build/fuzz_$target" "$scratch" "$seeds" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$target-"
  ;;
*)
  echo "usage: $0 build|run ..." >&2
  exit 2
  ;;
esac
