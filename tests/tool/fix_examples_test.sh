#!/usr/bin/env bash
# The bad example programs (examples/*/), rewritten by `tether --fix`, still
# compile, link against the runtime and run as before: same exit status as
# the unfixed program, within a time limit (a fix that made exit wait for an
# endless task would hang here). A second --fix changes nothing. Prints, per
# example, how many findings got a fix-it and how many only a note.
# Usage: fix_examples_test.sh <tether> <source-dir> <runtime-lib> <work-dir> <c++>
set -uo pipefail
tether=$1 src=$2 lib=$3 work=$4 cxx=$5
rm -rf "$work"
mkdir -p "$work"
fail=0
examples=(spawn/job_runner.cpp send/mailroom.cpp global/counters.cpp
          observability/telemetry_desk.cpp supervision/ingest.cpp
          workflow/bad/coordinator.cpp)
flags=(-std=c++20 -I"$src/runtime/include")
count() { # <json>: "<fixed> <noted>"
  python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))["diagnostics"]
print(sum(1 for x in d if x["fixes"]), sum(1 for x in d if not x["fixes"]))' "$1"
}
for e in "${examples[@]}"; do
  name=$(basename "$e" .cpp)
  dir=$work/$name
  mkdir -p "$dir/orig" "$dir/fixed"
  cp "$src/examples/$e" "$dir/orig/$name.cpp"
  cp "$src/examples/$e" "$dir/fixed/$name.cpp"
  "$tether" -q --format json -o "$dir/before.json" "$dir/orig/$name.cpp" -- "${flags[@]}" || true
  read -r fixed noted < <(count "$dir/before.json")
  "$tether" -q --fix "$dir/fixed/$name.cpp" -- "${flags[@]}" >/dev/null 2>"$dir/fix.err" || true
  cp "$dir/fixed/$name.cpp" "$dir/once.cpp"
  "$tether" -q --fix "$dir/fixed/$name.cpp" -- "${flags[@]}" >/dev/null 2>&1 || true
  if ! cmp -s "$dir/once.cpp" "$dir/fixed/$name.cpp"; then
    echo "FAIL: $e: a second --fix changed the file again:"
    diff -u "$dir/once.cpp" "$dir/fixed/$name.cpp" | head -20
    fail=1
  fi
  changed=$(diff "$dir/orig/$name.cpp" "$dir/fixed/$name.cpp" | grep -c '^>' || true)
  if [ "$fixed" -gt 0 ] && [ "$changed" -eq 0 ]; then
    echo "FAIL: $e: $fixed findings carry fix-its but --fix changed nothing:"
    cat "$dir/fix.err"
    fail=1
  fi
  for v in orig fixed; do
    if ! "$cxx" "${flags[@]}" -O1 -o "$dir/$v.bin" "$dir/$v/$name.cpp" "$lib" -pthread \
         2>"$dir/$v.build.err"; then
      echo "FAIL: $e: the $v program does not build:"
      head -20 "$dir/$v.build.err"
      fail=1
      continue 2
    fi
  done
  timeout 60 "$dir/orig.bin" >/dev/null 2>&1; before=$?
  timeout 60 "$dir/fixed.bin" >/dev/null 2>&1; after=$?
  if [ "$after" -eq 124 ]; then
    echo "FAIL: $e: the fixed program did not end within 60 s"
    fail=1
  elif [ "$before" -ne "$after" ]; then
    echo "FAIL: $e: the fixed program exits $after, the original $before"
    fail=1
  fi
  echo "$e: $fixed findings fixed by --fix ($changed lines), $noted with a note only; exit $before -> $after"
done
exit $fail
