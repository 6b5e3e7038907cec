#!/usr/bin/env bash
# The pre-commit framework runs tether's hook from this repository's
# .pre-commit-hooks.yaml (`pre-commit try-repo`), in a project repository
# made here: a clean tree passes; a staged change that adds a finding fails
# the hook and names the finding.
# Usage: precommit_test.sh <tether> <tether-source-repo> <work-dir>
set -euo pipefail
tether=$1
source_repo=$2
work=$3
command -v pre-commit >/dev/null || { echo "pre-commit is not installed"; exit 1; }
rm -rf "$work"
mkdir -p "$work/repo" "$work/bin"
ln -s "$tether" "$work/bin/tether"
export PATH="$work/bin:$PATH"
export PRE_COMMIT_HOME="$work/pre-commit-home"
export XDG_CACHE_HOME="$work/cache"
# try-repo takes the hooks of a git repository's HEAD: give it one that
# holds the working tree's hook definition.
mkdir -p "$work/hooks"
cp "$source_repo/.pre-commit-hooks.yaml" "$work/hooks/"
git -C "$work/hooks" init -q .
git -C "$work/hooks" -c user.email=t@example.com -c user.name=t add -A
git -C "$work/hooks" -c user.email=t@example.com -c user.name=t commit -qm hooks
cd "$work/repo"
git init -q .
git config user.email t@example.com
git config user.name tester
mkdir build
cat > a.cpp <<'CPP'
#include <thread>
void tick() {}
void start() {
  std::thread t(tick);
  t.join();
}
CPP
cat > build/compile_commands.json <<JSON
[{"directory": "$work/repo", "file": "a.cpp", "arguments": ["c++", "-std=c++17", "-c", "a.cpp"]}]
JSON
git add -A && git commit -qm base
fail=0
tether -p build -q >/dev/null || true   # the first full run, as CI would
if ! pre-commit try-repo "$work/hooks" tether --all-files > "$work/clean.log" 2>&1; then
  echo "FAIL: the hook failed on a clean tree:"; cat "$work/clean.log"; fail=1
fi
cat >> a.cpp <<'CPP'
void fire_and_forget() {
  std::thread u(tick);
  u.detach();
}
CPP
git add a.cpp
if pre-commit try-repo "$work/hooks" tether > "$work/dirty.log" 2>&1; then
  echo "FAIL: a staged finding did not fail the hook:"; cat "$work/dirty.log"; fail=1
fi
grep -q "a.cpp:9:.*spawn-detached-thread" "$work/dirty.log" ||
  { echo "FAIL: the hook did not print the finding:"; cat "$work/dirty.log"; fail=1; }
[ $fail -eq 0 ] && echo "pre-commit try-repo: clean tree passes, a staged finding fails the hook"
exit $fail
