#!/usr/bin/env bash
# tether as CMake's CMAKE_CXX_CLANG_TIDY: every compile also lints, so it
# works under whatever CMake drives (Make, Ninja, distcc, icecream, sccache).
# A small CMake project with a detached thread is built twice:
#   - with --exit-zero: the finding is printed and the build succeeds;
#   - without: the finding fails the build (as clang-tidy with
#     WarningsAsErrors does).
# Usage: cmake_launcher_test.sh <tether> <work-dir>
set -euo pipefail
tether=$1
work=$2
rm -rf "$work"
mkdir -p "$work/src"
cat > "$work/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(launched LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(Threads REQUIRED)
add_executable(launched main.cpp clean.cpp)
target_link_libraries(launched PRIVATE Threads::Threads)
CMAKE
cat > "$work/src/main.cpp" <<'CPP'
#include <thread>
void tick();
int main() {
  std::thread t(tick);
  t.detach();
}
CPP
cat > "$work/src/clean.cpp" <<'CPP'
void tick() {}
CPP
fail=0
cmake -S "$work/src" -B "$work/b1" \
  "-DCMAKE_CXX_CLANG_TIDY=$tether;--quiet;--exit-zero;--no-cache" >/dev/null
if ! cmake --build "$work/b1" > "$work/b1.log" 2>&1; then
  echo "FAIL: the build with --exit-zero failed:"; cat "$work/b1.log"; fail=1
fi
grep -q "main.cpp:5:.*\[spawn-detached-thread\]" "$work/b1.log" ||
  { echo "FAIL: the finding was not printed during the build:"; cat "$work/b1.log"; fail=1; }
if grep -q "clean.cpp.*warning" "$work/b1.log"; then
  echo "FAIL: a finding in clean.cpp"; fail=1
fi
cmake -S "$work/src" -B "$work/b2" \
  "-DCMAKE_CXX_CLANG_TIDY=$tether;--quiet;--no-cache" >/dev/null
if cmake --build "$work/b2" > "$work/b2.log" 2>&1; then
  echo "FAIL: a finding did not fail the build without --exit-zero"; fail=1
fi
[ $fail -eq 0 ] && echo "tether as CMAKE_CXX_CLANG_TIDY: finding printed, build passes with --exit-zero and fails without"
exit $fail
