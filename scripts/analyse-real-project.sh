#!/usr/bin/env bash
# Analyses every translation unit of a real project's compilation database
# with tether and reports what a CI maintainer wants to know: how many
# translation units, how many were analysed, crashes, limits hit (time,
# memory, skipped checks), other errors (files that do not parse), findings,
# and the wall-clock time (docs/robustness.md#a-real-project).
#
#   scripts/analyse-real-project.sh -p <build-dir> [--src <dir>] [--tether <bin>]
#                                   [--jobs N] [--out <dir>] [-- tether options]
#
# <build-dir> holds compile_commands.json; tether runs from --src (default:
# the parent of the build directory) with --no-cache, so every unit is
# parsed. The JSON report and stderr are kept in --out (default: a temporary
# directory). Exit status: 0 when no translation unit crashed or hit a
# limit, 1 otherwise, 2 on a usage error.
#
# Example (docs/robustness.md has the numbers):
#   scripts/analyse-real-project.sh -p /work/ext/build-rocksdb \
#       --src /work/ext/facebook+rocksdb --jobs 2
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="" src="" tether="$here/build/bin/tether" jobs=$(nproc) out=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
  -p) build=$2; shift 2 ;;
  --src) src=$2; shift 2 ;;
  --tether) tether=$2; shift 2 ;;
  --jobs) jobs=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --) shift; extra=("$@"); break ;;
  -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "analyse-real-project.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$build" ] || [ ! -f "$build/compile_commands.json" ]; then
  echo "analyse-real-project.sh: -p <build-dir> with a compile_commands.json is required" >&2
  exit 2
fi
if [ ! -x "$tether" ]; then
  echo "analyse-real-project.sh: no tether binary at '$tether' (build it, or pass --tether)" >&2
  exit 2
fi
build=$(cd "$build" && pwd)
src=${src:-$(dirname "$build")}
out=${out:-$(mktemp -d /tmp/tether-real-project-XXXXXX)}
mkdir -p "$out"

start=$(date +%s.%N)
set +e
(cd "$src" && "$tether" -p "$build" --no-cache -j "$jobs" --format json \
  -o "$out/report.json" "${extra[@]}" 2>"$out/stderr.txt")
code=$?
set -e
end=$(date +%s.%N)

python3 - "$build/compile_commands.json" "$out/report.json" "$code" \
  "$start" "$end" "$out" <<'EOF'
import collections, json, sys
db, report, code, start, end, out = sys.argv[1:]
units = len({e["file"] for e in json.load(open(db))})
try:
    doc = json.load(open(report))
except (OSError, ValueError) as e:
    print("no valid JSON report (%s); tether exited %s, see %s/stderr.txt"
          % (e, code, out))
    sys.exit(1)
kinds = collections.Counter(e.get("kind", "error") for e in doc["errors"])
crashes = kinds["crash"] + kinds["exception"]
limits = kinds["timeout"] + kinds["memory-limit"]
print("translation units:   %d" % units)
print("analysed:            %d" % doc["summary"]["files_analyzed"])
print("crashes:             %d" % crashes)
print("limits hit:          %d (timeout %d, memory %d)"
      % (limits, kinds["timeout"], kinds["memory-limit"]))
print("checks skipped:      %d" % len(doc.get("skipped", [])))
print("other errors:        %d (files that did not parse or were missing)"
      % kinds["error"])
print("findings:            %d" % len(doc["diagnostics"]))
print("time:                %.1f s" % (float(end) - float(start)))
print("exit code:           %s" % code)
print("report:              %s/report.json, stderr: %s/stderr.txt" % (out, out))
for e in doc["errors"]:
    if e.get("kind", "error") != "error":
        print("  %s: %s" % (e["file"], e["message"]))
for s in doc.get("skipped", []):
    print("  %s: %s" % (s["file"], s["message"]))
sys.exit(1 if crashes or limits or doc.get("skipped") else 0)
EOF
