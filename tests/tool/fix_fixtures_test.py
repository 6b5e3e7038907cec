#!/usr/bin/env python3
"""fix_fixtures_test.py - the fix goldens of the fixtures (docs/testing.md).

A fixture fixtures/<check>/X.cpp may have a golden X.cpp.fixed beside it
(clazy's convention). For one pair, in a scratch copy of the fixtures:

  1. run `tether --fix` on X.cpp with the fixture's own arguments (the
     `// tether-args:`, `// tether-checks:`, ... lines, read as
     tests/tool/Expectations.cpp reads them), plus -I runtime/include;
  2. compare the result with X.cpp.fixed byte for byte (a unified diff on
     mismatch);
  3. compile the fixed file (clang++-19 -fsyntax-only, -std=c++20 or the
     fixture's standard if higher); when it defines main, compile it, link
     it with the tether runtime library and run it: exit 0;
  4. run tether on the fixed file: of the folder's check, only the findings
     that had no fix-it in X.cpp remain (as many), and none of them has a
     fix-it;
  5. run `--fix` again: nothing changes.

A golden X.cpp.notes.fixed is the same with --fix-notes (a note's rewrite
is applied for a finding without one of its own): --fix-notes.

With --sanitizer thread, only step 3's program is built with
-fsanitize=thread (the runtime's sources too) and run; exit 77 (skipped)
when the fixed file has no main.

  fix_fixtures_test.py --tether T --fixtures DIR --runtime-include DIR
      --runtime-generated DIR --runtime-lib LIB --runtime-src DIR
      --cxx clang++-19 --work DIR [--sanitizer thread] [--fix-notes]
      <check>/<X>
"""

import argparse
import difflib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


class Failure(Exception):
    pass


def parse_fixture(text):
    """The directives of a fixture, as tests/tool/Expectations.cpp reads
    them: the first occurrence of a key on a line; arguments split on
    whitespace."""
    spec = {"args": None, "checks": None, "header_filter": None,
            "rules": [], "no_default_rules": False, "strict_globals": False,
            "options": {}, "format_style": "none"}
    for line in text.splitlines():
        def directive(key):
            pos = line.find(key)
            return None if pos < 0 else line[pos + len(key):]
        if (a := directive("tether-args:")) is not None:
            spec["args"] = a.split()
            continue
        if (c := directive("tether-checks:")) is not None:
            spec["checks"] = c.strip()
            continue
        if (h := directive("tether-header-filter:")) is not None:
            spec["header_filter"] = h.strip()
            continue
        if (r := directive("tether-rules:")) is not None:
            spec["rules"] += r.split()
            continue
        if directive("tether-no-default-rules") is not None:
            spec["no_default_rules"] = True
            continue
        if (o := directive("tether-options:")) is not None:
            for w in o.split():
                if w == "strict-globals":
                    spec["strict_globals"] = True
                elif "=" in w and not w.startswith("="):
                    k, v = w.split("=", 1)
                    spec["options"][k] = v
                else:
                    raise Failure("tether-options wants strict-globals or "
                                  "Check.Key=Value, not '%s'" % w)
            continue
        if (s := directive("tether-format-style:")) is not None:
            spec["format_style"] = s.strip()
            continue
    if spec["args"] is None:
        spec["args"] = ["-std=c++20"]
    return spec


STD_ORDER = ["c++11", "c++14", "c++17", "c++20", "c++2b", "c++23", "c++2c",
             "c++26"]


def compile_flags(args):
    """The fixture's flags with -std raised to at least c++20."""
    out, std = [], "c++20"
    for a in args:
        if a.startswith("-std="):
            s = a[5:].replace("gnu++", "c++")
            if s in STD_ORDER and STD_ORDER.index(s) > STD_ORDER.index(std):
                std = s
        else:
            out.append(a)
    return ["-std=" + std] + out


def run(cmd, cwd=None, timeout=600):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Harness:
    def __init__(self, o):
        self.o = o

    def scratch(self, check):
        """A copy of the fixture folder and fixtures/include: --fix may
        rewrite any file it reaches."""
        self.root = tempfile.mkdtemp(prefix="tether-fixfix-")
        shutil.copytree(os.path.join(self.o.fixtures, check),
                        os.path.join(self.root, check))
        inc = os.path.join(self.o.fixtures, "include")
        if os.path.isdir(inc):
            shutil.copytree(inc, os.path.join(self.root, "include"))
        return self.root

    def tether_cmd(self, spec, check, path, extra):
        cmd = [self.o.tether, "--no-cache", "--checks",
               spec["checks"] or check]
        if spec["header_filter"]:
            cmd += ["--header-filter", spec["header_filter"]]
        if spec["no_default_rules"]:
            cmd.append("--no-default-rules")
        for r in spec["rules"]:
            cmd += ["--rules", os.path.join(self.root, check, r)]
        if spec["strict_globals"]:
            cmd.append("--strict-globals")
        cmd += extra + [path, "--"] + spec["args"] + [
            "-I" + os.path.join(self.root, "include"),
            "-I" + self.o.runtime_include, "-I" + self.o.runtime_generated]
        return cmd

    def configure(self, spec):
        # Shields the copy from any .tether.json above it; carries the
        # fixture's check options.
        with open(os.path.join(self.root, ".tether.json"), "w") as f:
            json.dump({"check_options": spec["options"]}, f)

    def fix(self, spec, check, path):
        cmd = self.tether_cmd(spec, check, path,
                              ["--fix-notes" if self.o.fix_notes else "--fix",
                               "--format-style", spec["format_style"]])
        rc, out, err = run(cmd, cwd=self.root)
        if rc not in (0, 1):
            raise Failure("tether --fix exited %d\n$ %s\n%s%s" %
                          (rc, " ".join(cmd), out, err))
        return err

    def include_flags(self):
        return ["-I" + self.o.runtime_include, "-I" + self.o.runtime_generated,
                "-I" + os.path.join(self.root, "include")]

    def build_and_run(self, spec, path, sanitizer=None):
        flags = compile_flags(spec["args"]) + self.include_flags()
        rc, out, err = run([self.o.cxx, "-fsyntax-only"] + flags + [path])
        if rc != 0:
            raise Failure("the fixed file does not compile:\n" + out + err)
        text = open(path, encoding="utf-8", errors="replace").read()
        if not re.search(r"\bint\s+main\s*\(", text):
            return False
        exe = os.path.join(self.root, "fixed-program")
        if sanitizer:
            lib = self.tsan_runtime()
            san = ["-fsanitize=" + sanitizer, "-g", "-O1"]
        else:
            lib, san = self.o.runtime_lib, []
        rc, out, err = run([self.o.cxx] + san + flags +
                           [path, lib, "-pthread", "-o", exe])
        if rc != 0:
            raise Failure("the fixed program does not link:\n" + out + err)
        env = dict(os.environ)
        env["TSAN_OPTIONS"] = "halt_on_error=1 second_deadlock_stack=1"
        p = subprocess.run([exe], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120,
                           env=env)
        if p.returncode != 0:
            raise Failure("the fixed program exited %d:\n%s%s" %
                          (p.returncode, p.stdout, p.stderr))
        return True

    def tsan_runtime(self):
        """The runtime's sources built once with -fsanitize=thread, shared
        by the sanitizer tests (a lock for ctest -j)."""
        os.makedirs(self.o.work, exist_ok=True)
        lib = os.path.join(self.o.work, "libtether_runtime_tsan.a")
        srcs = sorted(os.path.join(self.o.runtime_src, f)
                      for f in os.listdir(self.o.runtime_src)
                      if f.endswith(".cpp"))
        with open(os.path.join(self.o.work, "tsan.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            newest = max(os.path.getmtime(s) for s in srcs)
            if os.path.exists(lib) and os.path.getmtime(lib) >= newest:
                return lib
            objs = []
            for s in srcs:
                obj = os.path.join(self.o.work,
                                   os.path.basename(s) + ".tsan.o")
                rc, out, err = run([self.o.cxx, "-std=c++20",
                                    "-fsanitize=thread", "-g", "-O1", "-c",
                                    "-I" + self.o.runtime_include,
                                    "-I" + self.o.runtime_generated,
                                    "-I" + self.o.runtime_src, s, "-o", obj])
                if rc != 0:
                    raise Failure("cannot build the runtime with TSan:\n" +
                                  out + err)
                objs.append(obj)
            tmp = lib + ".tmp"
            if os.path.exists(tmp):
                os.remove(tmp)
            rc, out, err = run(["ar", "rcs", tmp] + objs)
            if rc != 0:
                raise Failure("ar failed:\n" + out + err)
            os.replace(tmp, lib)
        return lib

    def findings(self, spec, check, path):
        cmd = self.tether_cmd(spec, check, path,
                              ["--format", "json", "--quiet"])
        rc, out, err = run(cmd, cwd=self.root)
        if rc not in (0, 1):
            raise Failure("tether on the fixed file exited %d:\n%s" %
                          (rc, err))
        return [d for d in json.loads(out)["diagnostics"]
                if d["check"] == check]

    def fixable(self, d):
        """Whether --fix (or --fix-notes) has something to apply."""
        return bool(d["fixes"]) or (self.o.fix_notes and any(
            n.get("fixes") for n in d["notes"]))

    def check_pair(self, case):
        check, name = case.split("/", 1)
        src = os.path.join(self.o.fixtures, check, name + ".cpp")
        golden_path = src + (".notes.fixed" if self.o.fix_notes else ".fixed")
        original = open(src, "rb").read()
        golden = open(golden_path, "rb").read()
        spec = parse_fixture(original.decode("utf-8", "replace"))
        self.scratch(check)
        self.configure(spec)
        path = os.path.join(self.root, check, name + ".cpp")
        if self.o.sanitizer:
            with open(path, "wb") as f:
                f.write(golden)
            shown = os.path.basename(golden_path)
            if not self.build_and_run(spec, path, self.o.sanitizer):
                print("%s has no main: nothing to run" % shown)
                return SKIP
            print("%s runs clean under -fsanitize=%s" %
                  (shown, self.o.sanitizer))
            return 0
        before = self.findings(spec, check, path)
        unfixable = [d for d in before if not self.fixable(d)]
        err = self.fix(spec, check, path)
        fixed = open(path, "rb").read()
        if fixed != golden:
            diff = difflib.unified_diff(
                golden.decode("utf-8", "replace").splitlines(True),
                fixed.decode("utf-8", "replace").splitlines(True),
                golden_path, "tether --fix " + name + ".cpp")
            raise Failure("tether --fix differs from the golden file:\n" +
                          "".join(diff) + "\n(stderr of tether --fix)\n" +
                          err)
        ran = self.build_and_run(spec, path)
        left = self.findings(spec, check, path)
        still_fixable = [d for d in left if self.fixable(d)]
        if len(left) != len(unfixable) or still_fixable:
            raise Failure("%d finding(s) of %s remain in the fixed file, %d "
                          "with fix-its; want the %d that had no fix-it:\n%s"
                          % (len(left), check, len(still_fixable),
                             len(unfixable),
                             "\n".join("%d:%d %s%s" % (
                                 d["line"], d["column"], d["message"],
                                 " [has fix-its]" if self.fixable(d) else "")
                                 for d in left)))
        self.fix(spec, check, path)
        again = open(path, "rb").read()
        if again != fixed:
            diff = difflib.unified_diff(
                fixed.decode("utf-8", "replace").splitlines(True),
                again.decode("utf-8", "replace").splitlines(True),
                "first --fix", "second --fix")
            raise Failure("a second --fix changed the file:\n" +
                          "".join(diff))
        print("%s: golden matches, compiles%s, %d finding(s) fixed, %d "
              "without a fix-it left, second --fix changes nothing" %
              (case, ", runs" if ran else "", len(before) - len(left),
               len(left)))
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tether", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--runtime-include", required=True)
    ap.add_argument("--runtime-generated", required=True)
    ap.add_argument("--runtime-lib", required=True)
    ap.add_argument("--runtime-src", required=True)
    ap.add_argument("--cxx", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--sanitizer")
    ap.add_argument("--fix-notes", action="store_true",
                    help="X.cpp.notes.fixed, with --fix-notes")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory")
    ap.add_argument("case", help="<check>/<X> for fixtures/<check>/X.cpp")
    o = ap.parse_args()
    h = Harness(o)
    try:
        return h.check_pair(o.case)
    except Failure as e:
        print("FAIL %s: %s" % (o.case, e))
        return 1
    finally:
        if getattr(h, "root", None) and not o.keep:
            shutil.rmtree(h.root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
