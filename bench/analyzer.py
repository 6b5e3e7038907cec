#!/usr/bin/env python3
"""Times tether against `clang++-19 -fsyntax-only` on the same files with the
same flags, in the same run, and prints the ratio (goal: <= 1.20, i.e. the
analysis adds at most 20% over parsing).

    python3 bench/analyzer.py [--build build] [--repeat 3] [files...]

Without files it uses the bundled examples, the fixtures, and the project's
own tool and runtime sources (which pull in large Clang and standard-library
headers). Each file is one process for both tools, as in a CI lint step;
the minimum of --repeat runs is kept for each.
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def flags_from_db(db, path):
    for entry in db:
        f = entry["file"]
        if not os.path.isabs(f):
            f = os.path.join(entry["directory"], f)
        if os.path.realpath(f) != os.path.realpath(path):
            continue
        args = entry.get("arguments") or shlex.split(entry["command"])
        out, skip = [], False
        for a in args[1:]:
            if skip:
                skip = False
                continue
            if a in ("-o", "-c"):
                skip = a == "-o"
                continue
            if os.path.realpath(os.path.join(entry["directory"], a)) == os.path.realpath(path):
                continue
            out.append(a)
        return entry["directory"], out
    return None, None


def timed(cmd, cwd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start, proc.returncode, proc.stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clang", default="clang++-19")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()

    tether = os.path.join(a.build, "bin", "tether")
    with open(os.path.join(a.build, "compile_commands.json")) as f:
        db = json.load(f)
    files = a.files or sorted(
        glob.glob(os.path.join(ROOT, "examples", "**", "*.cpp"), recursive=True)
        + glob.glob(os.path.join(ROOT, "tool", "*.cpp"))
        + glob.glob(os.path.join(ROOT, "runtime", "src", "*.cpp"))
        + glob.glob(os.path.join(ROOT, "tests", "runtime", "*.cpp")))
    fixtures = sorted(glob.glob(os.path.join(ROOT, "fixtures", "*", "*.cpp"))) if not a.files else []

    jobs = []
    for path in files:
        cwd, flags = flags_from_db(db, path)
        if flags is None:
            print(f"skip (not in compile_commands.json): {os.path.relpath(path, ROOT)}", file=sys.stderr)
            continue
        jobs.append((path, cwd, flags))
    for path in fixtures:
        jobs.append((path, ROOT, ["-std=c++20", "-I" + os.path.join(ROOT, "fixtures", "include")]))

    total_clang = total_tether = 0.0
    print(f"{'file':58} {'clang':>8} {'tether':>8} {'ratio':>6}")
    for path, cwd, flags in jobs:
        clang_cmd = [a.clang, "-fsyntax-only", "-w"] + flags + [path]
        tether_cmd = [tether, "-q", "-j", "1", path, "--"] + flags
        best_c = best_t = float("inf")
        for _ in range(a.repeat):
            tc, rc, err = timed(clang_cmd, cwd)
            if rc != 0:
                print(f"clang failed on {path}:\n{err}", file=sys.stderr)
                break
            tt, rt, err = timed(tether_cmd, cwd)
            if rt not in (0, 1):
                print(f"tether failed on {path} (exit {rt}):\n{err}", file=sys.stderr)
                break
            best_c, best_t = min(best_c, tc), min(best_t, tt)
        else:
            total_clang += best_c
            total_tether += best_t
            print(f"{os.path.relpath(path, ROOT)[:58]:58} {best_c:8.3f} {best_t:8.3f} {best_t / best_c:6.2f}")
    if total_clang == 0:
        print("nothing measured", file=sys.stderr)
        return 2
    ratio = total_tether / total_clang
    print(f"\n{len(jobs)} files: clang++ -fsyntax-only {total_clang:.2f} s, tether {total_tether:.2f} s")
    print(f"ratio tether / clang++ -fsyntax-only = {ratio:.3f} "
          f"(overhead {100 * (ratio - 1):+.1f}%; goal <= +20%: {'PASS' if ratio <= 1.20 else 'MISS'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
