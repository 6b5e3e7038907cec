#!/usr/bin/env bash
# The project model end to end, as a user runs it: build the demo service
# (tests/project/demo) with CMake, run tether over its compilation database
# with no rule pack of its own, and check
#   1. the findings, both ways: every expected one, nothing else;
#   2. the inferred rule pack against the expected one, and that it loads;
#   3. that a per-TU run (--no-project) sees none of the cross-file ones;
#   4. determinism: -j1, -j2 and a merge of --shard 1/3, 2/3, 3/3 facts give
#      the same JSON report, byte for byte;
#   5. the result cache: a second run parses nothing and reports the same;
#      editing one header re-analyzes exactly the units that include it;
#   6. a run on one file joins the cached facts of the other units.
# It works on a copy of the demo, so that it can edit files.
# Usage: run_project_test.sh <tether> <work-dir>
set -euo pipefail
tether=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cp -r "$here/demo" "$work/demo"
demo=$work/demo
export XDG_CACHE_HOME=$work/cache   # never the user's cache
cmake -S "$demo" -B "$work/build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$work/build" -j2 >/dev/null
cd "$demo"   # paths in messages and in the pack's evidence are relative to it

fail=0
findings() { # <args...>: "check file:line" per finding, sorted
  "$tether" -p "$work/build" -q "$@" 2>/dev/null |
    sed -n 's|^\([^ :]*\):\([0-9]*\):[0-9]*: warning: .*\[\([a-z-]*\)\]$|\3 \1:\2|p' |
    sed "s|$demo/||" | sort
}

findings -j2 > "$work/findings.txt" || true
if ! diff -u "$here/expected-findings.txt" "$work/findings.txt"; then
  echo "FAIL: findings differ from tests/project/expected-findings.txt"
  fail=1
fi

"$tether" -p "$work/build" -q --dump-inferred-rules > "$work/inferred.json"
if ! diff -u "$here/expected-inferred-rules.json" "$work/inferred.json"; then
  echo "FAIL: inferred rules differ from tests/project/expected-inferred-rules.json"
  fail=1
fi
# A team commits the dumped pack as its own: it must load, and then the
# project step leaves those classes to the pack (no double report).
if ! "$tether" -p "$work/build" -q --rules "$work/inferred.json" \
     --checks '-*,global-*' >/dev/null 2>"$work/rules.err"; then
  if grep -q "error" "$work/rules.err"; then
    echo "FAIL: the dumped pack does not load:"; cat "$work/rules.err"; fail=1
  fi
fi

findings -j2 --no-project > "$work/per-tu.txt" || true
if grep -qE 'background.cpp|config.cpp|stats.cpp|listener.cpp' "$work/per-tu.txt"; then
  echo "FAIL: a per-TU run already finds a cross-file defect; the test no longer tests the project step:"
  cat "$work/per-tu.txt"; fail=1
fi

"$tether" -p "$work/build" -q -j1 --format json -o "$work/j1.json" || true
"$tether" -p "$work/build" -q -j2 --format json -o "$work/j2.json" || true
for k in 1 2 3; do
  "$tether" -p "$work/build" -q -j2 --shard "$k/3" --facts-out "$work/facts" \
    --format json -o "$work/shard$k.json" || true
done
"$tether" --merge "$work/facts" -q --format json -o "$work/merged.json" || true
for f in j2 merged; do
  if ! cmp -s "$work/j1.json" "$work/$f.json"; then
    echo "FAIL: $f.json differs from the -j1 report:"
    diff "$work/j1.json" "$work/$f.json" | head -20
    fail=1
  fi
done
n=$(ls "$work/facts" | wc -l)
[ "$n" -eq 18 ] || { echo "FAIL: expected 18 facts files, got $n"; fail=1; }

# The result cache: cold, warm, then one header edited.
c=(-p "$work/build" -j2 --cache-dir "$work/rcache" --format json)
"$tether" "${c[@]}" -o "$work/cold.json" 2>"$work/cold.err" || true
"$tether" "${c[@]}" -o "$work/warm.json" 2>"$work/warm.err" || true
grep -q "(18 from the cache)" "$work/warm.err" ||
  { echo "FAIL: the warm run parsed again:"; cat "$work/warm.err"; fail=1; }
cmp -s "$work/cold.json" "$work/warm.json" ||
  { echo "FAIL: the warm run reports differently"; fail=1; }
echo "// a comment" >> "$demo/src/base/mutex.h"
"$tether" "${c[@]}" -o "$work/edited.json" 2>"$work/edited.err" || true
# mutex.h is read by mutex.cpp, stats.cpp, listener.cpp, main.cpp,
# audit.cpp, ledger.cpp and settle.cpp.
grep -q "(11 from the cache)" "$work/edited.err" ||
  { echo "FAIL: editing base/mutex.h should re-analyze 7 units:"; cat "$work/edited.err"; fail=1; }
cmp -s "$work/cold.json" "$work/edited.json" ||
  { echo "FAIL: a comment in a header changed the report"; fail=1; }

# A run on one file (a pre-commit hook, --diff) joins the cached facts of
# the database's other units: the home-made Thread class defined in
# base/thread.cpp is known when only background.cpp is analyzed. The edit
# above left the cache warm for every unit but the seven re-analyzed ones,
# which the last run stored again.
one=(-p "$work/build" -q --format json)
"$tether" "${one[@]}" --cache-dir "$work/rcache" src/background.cpp \
  -o "$work/one-warm.json" || true
"$tether" "${one[@]}" --no-cache src/background.cpp \
  -o "$work/one-cold.json" || true
has_finding() { # <json> <check>: does the report hold a finding of <check>?
  python3 -c 'import json,sys
sys.exit(0 if any(d["check"] == sys.argv[2] for d in json.load(open(sys.argv[1]))["diagnostics"]) else 1)' "$1" "$2"
}
has_finding "$work/one-warm.json" spawn-detached-thread ||
  { echo "FAIL: a run on background.cpp with a warm cache misses the detached home-made thread"; fail=1; }
if has_finding "$work/one-cold.json" spawn-detached-thread; then
  echo "FAIL: a run on background.cpp alone, with no cache, finds the detached thread: the context test no longer tests anything"; fail=1
fi
others=$(python3 -c 'import json,sys
print(" ".join(sorted({d["file"] for d in json.load(open(sys.argv[1]))["diagnostics"]
                       if not d["file"].endswith("background.cpp")})))' "$work/one-warm.json")
[ -z "$others" ] ||
  { echo "FAIL: findings of units not analyzed are reported: $others"; fail=1; }

if [ $fail -eq 0 ]; then
  echo "project model: $(wc -l < "$work/findings.txt") findings as expected, inferred pack as expected, -j1 = -j2 = merge of 3 shards, cache hit and partial miss as expected"
fi
exit $fail
