#!/usr/bin/env python3
"""The project model's speed and memory goals, measured in one run on a real
CMake project (docs/project-model.md; issue: at least 50 translation units).

    python3 bench/project.py -p <build-dir-with-compile_commands.json>
                             [--tether build/bin/tether] [--clang clang++-19]
                             [--repeat 3] [--jobs 2] [--src <dir to run in>]

Every variant runs over the same translation units with the same flags, all
with --no-cache unless said otherwise. One warm-up round, then --repeat
rounds in which the variants are interleaved (their order rotates every
round), so that a noisy neighbour hurts all of them alike. Reported: the
median and the spread (min..max) of each, and the ratios the goals are
stated in:

  cold project run / clang++ -fsyntax-only processes   goal <= 1.00
  cold project run / in-process parse, no checks       goal <= 1.15
  project run -j1 / project run -jN                    goal >= 1.8 (N = 2)
  peak RSS of the merge step / peak RSS of parsing the largest TU  goal <= 1
  warm run after touching one .cpp / cold run           goal <= 0.10

The baselines are the best simple equivalents: clang++ run the way a build
runs it (one process per TU, N at a time, -fsyntax-only), and tether's own
--parse-only, which parses each TU in-process exactly as the analysis does
and runs nothing on it.
"""
import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def compile_jobs(db_path):
    """(directory, argv for -fsyntax-only, file) per translation unit."""
    out = []
    for e in json.load(open(db_path)):
        args = e.get("arguments") or shlex.split(e["command"])
        argv, skip = [], False
        for a in args[1:]:
            if skip:
                skip = False
                continue
            if a == "-o":
                skip = True
                continue
            if a == "-c":
                continue
            argv.append(a)
        f = e["file"] if os.path.isabs(e["file"]) else os.path.join(e["directory"], e["file"])
        out.append((e["directory"], argv, f))
    return out


def run(cmd, cwd=None):
    """Wall time and the peak RSS (KiB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if p.returncode not in (0, 1):
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.decode()[-2000:]))
    return wall, before


def peak_rss(cmd, cwd=None):
    """Peak RSS in MiB of one command, from GNU time."""
    with tempfile.NamedTemporaryFile() as t:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name] + cmd, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(open(t.name).read().split()[-1]) / 1024.0


def clang_all(clang, jobs, n):
    def one(j):
        d, argv, _ = j
        p = subprocess.run([clang, "-fsyntax-only", "-w"] + argv, cwd=d,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return p.returncode
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as ex:
        list(ex.map(one, jobs))
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-p", dest="build", required=True, help="build directory with compile_commands.json")
    ap.add_argument("--tether", default=os.path.join(ROOT, "build", "bin", "tether"))
    ap.add_argument("--clang", default="clang++-19")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--src", default=None, help="directory to run tether in (default: the build's)")
    a = ap.parse_args()
    if a.repeat < 1 or a.jobs < 1:
        ap.error("--repeat and --jobs must be at least 1")
    db = os.path.join(a.build, "compile_commands.json")
    if not os.path.exists(db):
        ap.error("no compile_commands.json in " + a.build)
    if shutil.which(a.clang) is None:
        ap.error(a.clang + " not found")
    jobs = compile_jobs(db)
    cwd = a.src or a.build
    t = [a.tether, "-p", a.build, "-q", "--no-cache"]
    N = str(a.jobs)
    variants = {
        "clang -fsyntax-only": lambda: clang_all(a.clang, jobs, a.jobs),
        "tether --parse-only": lambda: run(t + ["-j" + N, "--parse-only"], cwd)[0],
        "tether --no-project": lambda: run(t + ["-j" + N, "--no-project"], cwd)[0],
        "tether (project)": lambda: run(t + ["-j" + N], cwd)[0],
        "tether (project) -j1": lambda: run(t + ["-j1"], cwd)[0],
    }
    names = list(variants)
    print("%d translation units, -j%s, %d rounds after a warm-up" % (len(jobs), N, a.repeat))
    for n in names:  # warm-up: page cache, dynamic loader
        variants[n]()
    times = {n: [] for n in names}
    for r in range(a.repeat):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            times[n].append(variants[n]())
    med = {n: statistics.median(v) for n, v in times.items()}
    for n in names:
        v = times[n]
        print("  %-24s median %7.2f s   spread %.2f..%.2f s" % (n, med[n], min(v), max(v)))

    # Memory: the merge step against parsing the largest translation unit.
    with tempfile.TemporaryDirectory() as facts:
        run(t + ["-j" + N, "--facts-out", facts], cwd)
        merge_mb = peak_rss([a.tether, "--merge", facts, "-q", "--no-cache"], cwd)
    largest = max(jobs, key=lambda j: os.path.getsize(j[2]) if os.path.exists(j[2]) else 0)
    sizes = []
    for j in jobs:  # the largest by parse memory, not by file size
        sizes.append((peak_rss(t + ["--parse-only", j[2]], cwd), j[2]))
    parse_mb, largest = max(sizes)

    # Warm run: a cache filled by a cold run, then one .cpp touched.
    with tempfile.TemporaryDirectory() as cache:
        tc = [a.tether, "-p", a.build, "-q", "--cache-dir", cache, "-j" + N]
        cold, _ = run(tc, cwd)
        victim = next(j[2] for j in jobs if j[2].endswith((".cpp", ".cc", ".cxx")))
        orig = open(victim, "rb").read()
        try:
            with open(victim, "ab") as f:
                f.write(b"\n// touched by bench/project.py\n")
            warm, _ = run(tc, cwd)
        finally:
            with open(victim, "wb") as f:
                f.write(orig)
        unchanged, _ = run(tc, cwd)

    print()
    rows = [
        ("project / clang -fsyntax-only", med["tether (project)"] / med["clang -fsyntax-only"], "<= 1.00"),
        ("project / --parse-only", med["tether (project)"] / med["tether --parse-only"], "<= 1.15"),
        ("--no-project / --parse-only", med["tether --no-project"] / med["tether --parse-only"], "(the checks alone)"),
        ("-j1 / -j%s" % N, med["tether (project) -j1"] / med["tether (project)"], ">= 1.8"),
        ("merge peak RSS / largest TU parse", merge_mb / parse_mb, "<= 1.00"),
        ("warm (1 .cpp touched) / cold", warm / cold, "<= 0.10"),
        ("warm (nothing changed) / cold", unchanged / cold, "<= 0.05"),
    ]
    for name, ratio, goal in rows:
        print("  %-36s %6.2f   goal %s" % (name, ratio, goal))
    print("  (merge step %.0f MiB; largest TU %s: %.0f MiB; cold %.2f s, warm %.2f s, unchanged %.2f s)"
          % (merge_mb, os.path.basename(largest), parse_mb, cold, warm, unchanged))


if __name__ == "__main__":
    main()
