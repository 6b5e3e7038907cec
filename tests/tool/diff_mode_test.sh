#!/usr/bin/env bash
# --diff as a pre-commit hook uses it, in a git repository made here:
#   1. a commit with one finding; a change that adds a second finding in the
#      same file: --diff HEAD reports only the new one;
#   2. --diff-scope=files reports both;
#   3. a change to a header re-analyzes the unit that includes it (known
#      from the last run's record in the cache directory) and nothing else;
#   4. a unified diff on stdin (--diff -) works like the revision;
#   5. a change to no analyzed file analyzes nothing and exits 0.
# Usage: diff_mode_test.sh <tether> <work-dir>
set -euo pipefail
tether=$1
work=$2
rm -rf "$work"
mkdir -p "$work/repo"
cd "$work/repo"
git init -q .
git config user.email t@example.com
git config user.name tester
cat > util.h <<'CPP'
#pragma once
void tick();
CPP
cat > a.cpp <<'CPP'
#include <thread>
#include "util.h"
void start_a() {
  std::thread t(tick);
  t.detach();
}
CPP
cat > b.cpp <<'CPP'
void tick() {}
CPP
cat > compile_commands.json <<JSON
[{"directory": "$work/repo", "file": "a.cpp", "arguments": ["c++", "-std=c++17", "-c", "a.cpp"]},
 {"directory": "$work/repo", "file": "b.cpp", "arguments": ["c++", "-std=c++17", "-c", "b.cpp"]}]
JSON
git add -A && git commit -qm base
t=("$tether" -p . --cache-dir "$work/cache")
"${t[@]}" -q >/dev/null || true   # a full run records what each unit reads
fail=0
cat >> a.cpp <<'CPP'
void start_again() {
  std::thread u(tick);
  u.detach();
}
CPP
out=$("${t[@]}" --diff HEAD 2>"$work/err" || true)
n=$(grep -c "warning:" <<<"$out" || true)
[ "$n" = 1 ] && grep -q "a.cpp:9:" <<<"$out" ||
  { echo "FAIL: --diff HEAD should report only the new finding (a.cpp:9), got:"; echo "$out"; fail=1; }
grep -q "1 analyzed" "$work/err" ||
  { echo "FAIL: --diff HEAD should analyze only a.cpp:"; cat "$work/err"; fail=1; }
out=$("${t[@]}" --diff HEAD --diff-scope files 2>/dev/null || true)
[ "$(grep -c "warning:" <<<"$out")" = 2 ] ||
  { echo "FAIL: --diff-scope files should report both findings:"; echo "$out"; fail=1; }
git diff > "$work/change.diff"
out=$("${t[@]}" --diff - < "$work/change.diff" 2>/dev/null || true)
[ "$(grep -c "warning:" <<<"$out")" = 1 ] ||
  { echo "FAIL: --diff - should read the diff from stdin:"; echo "$out"; fail=1; }
git checkout -q a.cpp
echo "// a comment" >> util.h
"${t[@]}" --diff HEAD >/dev/null 2>"$work/err" || true
grep -q "; 1 analyzed" "$work/err" ||
  { echo "FAIL: a change to util.h should analyze a.cpp only:"; cat "$work/err"; fail=1; }
git checkout -q util.h
echo "notes" > README
"${t[@]}" --diff HEAD >/dev/null 2>"$work/err" && grep -q "touches no translation unit" "$work/err" ||
  { echo "FAIL: a change outside the units should analyze nothing:"; cat "$work/err"; fail=1; }
[ $fail -eq 0 ] && echo "--diff: new finding only, files scope, stdin diff, header change, nothing touched: as expected"
exit $fail
