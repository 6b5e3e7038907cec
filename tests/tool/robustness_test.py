#!/usr/bin/env python3
"""Robustness of a run (docs/robustness.md): a fault in one translation unit
costs that unit only, and the report says what was not analysed.

The faults come from the hidden, test-only option --debug-inject
<kind>:<file-glob>: a crash, an abort (a failed assertion), a stack
overflow, std::bad_alloc, a runaway allocation (--tu-memory), a hang
(--tu-timeout) and a slow check (--check-timeout). Each runs with -j1 and
-j4, and the other files' findings must come out. Then hostile inputs:
invalid UTF-8, CRLF, #line, a 1 MB line, files that are not C++, a
compilation database with missing entries, and one with 10,000 entries.

usage: robustness_test.py <tether-binary> <sarif-schema.json> [unittest args]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

TETHER = None
SCHEMA = None

DETACHED = b"""#include <thread>
void work();
void start() {
  std::thread t(work);
  t.detach();
}
"""

# The same without a standard header: parsed in milliseconds, so that a
# loaded machine does not push the other files past a short --tu-timeout.
DETACHED_MOCK = b"""namespace std {
class thread {
public:
  template <class F> explicit thread(F f);
  ~thread();
  void detach();
  void join();
  bool joinable() const;
};
} // namespace std
void work();
void start() {
  std::thread t(work);
  t.detach();
}
"""

INJECT_CHECK = "tether-debug-inject"


class Run:
    def __init__(self, proc, seconds):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode("utf-8", "replace")
        self.seconds = seconds

    def json(self):
        # Strict: the output must be valid UTF-8 JSON.
        return json.loads(self.out.decode("utf-8"))


class Workdir:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="tether-robust-")

    def write(self, name, data):
        path = os.path.join(self.root.encode(), name if isinstance(
            name, bytes) else name.encode())
        with open(path, "wb") as f:
            f.write(data)
        return path

    def tether(self, *args, files=(), flags=("-std=c++20",), timeout=240):
        cmd = [TETHER, "--no-cache", *args, *files]
        if flags is not None:
            cmd += ["--", *flags]
        start = time.monotonic()
        p = subprocess.run(cmd, cwd=self.root, capture_output=True,
                           timeout=timeout)
        return Run(p, time.monotonic() - start)

    def cleanup(self):
        for dirpath, dirnames, filenames in os.walk(self.root):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
            for f in filenames:
                p = os.path.join(dirpath, f)
                if not os.path.islink(p):
                    os.chmod(p, 0o644)
        shutil.rmtree(self.root, ignore_errors=True)


def finding_files(doc):
    return sorted({d["file"] for d in doc["diagnostics"]})


class Faults(unittest.TestCase):
    """One fault in b.cpp; a.cpp and c.cpp have a finding each."""

    def setUp(self):
        self.w = Workdir()
        for name in ("a.cpp", "b.cpp", "c.cpp"):
            self.w.write(name, DETACHED_MOCK)

    def tearDown(self):
        self.w.cleanup()

    def run_fault(self, kind, jobs, *limits, fmt="json"):
        r = self.w.tether("--format", fmt, "-j", str(jobs),
                          "--debug-inject", kind + ":b.cpp", *limits,
                          files=["a.cpp", "b.cpp", "c.cpp"])
        return r

    def expect_unit_error(self, kind, jobs, error_kind, what, check,
                          *limits):
        r = self.run_fault(kind, jobs, *limits)
        self.assertEqual(r.code, 2, r.err)
        doc = r.json()
        self.assertEqual(finding_files(doc), ["a.cpp", "c.cpp"], r.err)
        self.assertEqual(len(doc["errors"]), 1, doc["errors"])
        e = doc["errors"][0]
        self.assertEqual(e["file"], "b.cpp")
        self.assertEqual(e["kind"], error_kind)
        self.assertEqual(e["check"], check)
        self.assertIn(what, e["message"])
        self.assertEqual(doc["summary"]["files_analyzed"], 2)
        # The text on stderr names the file and what was running.
        self.assertIn("b.cpp: error: ", r.err)
        self.assertIn(what, r.err)
        return r, e

    def crash(self, jobs):
        r, e = self.expect_unit_error("crash", jobs, "crash", "SIGSEGV",
                                      INJECT_CHECK)
        self.assertIn("in check '%s'" % INJECT_CHECK, e["message"])
        self.assertTrue(e["stack"], "no stack in the report")
        self.assertTrue(any("runInjectedFault" in f for f in e["stack"]),
                        e["stack"])

    def test_crash_j1(self):
        self.crash(1)

    def test_crash_j4(self):
        self.crash(4)

    def test_abort_j1(self):
        self.expect_unit_error("abort", 1, "crash", "SIGABRT", INJECT_CHECK)

    def test_abort_j4(self):
        self.expect_unit_error("abort", 4, "crash", "SIGABRT", INJECT_CHECK)

    def test_stack_overflow_j1(self):
        self.expect_unit_error("stack-overflow", 1, "crash", "stack overflow",
                               INJECT_CHECK)

    def test_stack_overflow_j4(self):
        self.expect_unit_error("stack-overflow", 4, "crash", "stack overflow",
                               INJECT_CHECK)

    def test_bad_alloc_j1(self):
        self.expect_unit_error("bad-alloc", 1, "exception", "std::bad_alloc",
                               INJECT_CHECK)

    def test_bad_alloc_j4(self):
        self.expect_unit_error("bad-alloc", 4, "exception", "std::bad_alloc",
                               INJECT_CHECK)

    def test_memory_limit_j1(self):
        self.expect_unit_error("memory", 1, "memory-limit",
                               "exceeded --tu-memory of 300 MiB",
                               INJECT_CHECK, "--tu-memory", "300")

    def test_memory_limit_j4(self):
        self.expect_unit_error("memory", 4, "memory-limit",
                               "exceeded --tu-memory of 300 MiB",
                               INJECT_CHECK, "--tu-memory", "300")

    def hang(self, jobs):
        r, e = self.expect_unit_error("hang", jobs, "timeout",
                                      "exceeded --tu-timeout of 3 s",
                                      "parsing", "--tu-timeout", "3")
        self.assertLess(r.seconds, 60)
        self.assertTrue(e["stack"], "no stack where the unit hung")

    def test_hang_j1(self):
        self.hang(1)

    def test_hang_j4(self):
        self.hang(4)

    def slow_check(self, jobs):
        r = self.run_fault("slow-check", jobs, "--check-timeout", "1")
        # The unit is analysed without the slow check: its findings stay.
        self.assertEqual(r.code, 1, r.err)
        doc = r.json()
        self.assertEqual(finding_files(doc), ["a.cpp", "b.cpp", "c.cpp"])
        self.assertEqual(doc["errors"], [])
        self.assertEqual(len(doc["skipped"]), 1, doc["skipped"])
        s = doc["skipped"][0]
        self.assertEqual((s["file"], s["check"], s["kind"]),
                         ("b.cpp", INJECT_CHECK, "check-timeout"))
        self.assertEqual(doc["summary"]["skipped_checks"], 1)
        self.assertIn("b.cpp: warning: check '%s' skipped" % INJECT_CHECK,
                      r.err)

    def test_slow_check_j1(self):
        self.slow_check(1)

    def test_slow_check_j4(self):
        self.slow_check(4)

    def test_sarif_notifications(self):
        r = self.run_fault("crash", 4, fmt="sarif")
        self.assertEqual(r.code, 2, r.err)
        sarif = r.json()
        inv = sarif["runs"][0]["invocations"][0]
        self.assertFalse(inv["executionSuccessful"])
        notes = inv["toolExecutionNotifications"]
        self.assertEqual(len(notes), 1, notes)
        n = notes[0]
        self.assertEqual(n["level"], "error")
        self.assertEqual(
            n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "b.cpp")
        self.assertEqual(n["properties"]["kind"], "crash")
        self.assertEqual(n["properties"]["check"], INJECT_CHECK)
        self.assertTrue(n["exception"]["stack"]["frames"])
        files = sorted(
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for res in sarif["runs"][0]["results"])
        self.assertEqual(files, ["a.cpp", "c.cpp"])
        validate_sarif(self, sarif)
        # A skipped check is a warning notification; the run succeeded.
        r = self.run_fault("slow-check", 1, "--check-timeout", "1",
                           fmt="sarif")
        sarif = r.json()
        inv = sarif["runs"][0]["invocations"][0]
        self.assertTrue(inv["executionSuccessful"])
        levels = [n["level"] for n in inv["toolExecutionNotifications"]]
        self.assertEqual(levels, ["warning"])
        validate_sarif(self, sarif)

    def test_several_faults_j4(self):
        for name in ("d.cpp", "e.cpp", "f.cpp"):
            self.w.write(name, DETACHED_MOCK)
        r = self.w.tether("--format", "json", "-j", "4",
                          "--debug-inject", "crash:b.cpp",
                          "--debug-inject", "hang:d.cpp",
                          "--debug-inject", "stack-overflow:e.cpp",
                          "--debug-inject", "slow-check:f.cpp",
                          "--tu-timeout", "4", "--check-timeout", "1",
                          files=["a.cpp", "b.cpp", "c.cpp", "d.cpp", "e.cpp",
                                 "f.cpp"])
        self.assertEqual(r.code, 2, r.err)
        doc = r.json()
        self.assertEqual(finding_files(doc), ["a.cpp", "c.cpp", "f.cpp"])
        self.assertEqual(
            [(e["file"], e["kind"]) for e in doc["errors"]],
            [("b.cpp", "crash"), ("d.cpp", "timeout"), ("e.cpp", "crash")])
        self.assertEqual([s["file"] for s in doc["skipped"]], ["f.cpp"])

    def test_inject_is_hidden_and_checked(self):
        r = self.w.tether("--help", flags=None)
        self.assertEqual(r.code, 0)
        self.assertNotIn(b"debug-inject", r.out)
        self.assertIn(b"--tu-timeout", r.out)
        r = self.w.tether("--debug-inject", "explode:b.cpp", files=["b.cpp"])
        self.assertEqual(r.code, 2)
        self.assertIn("--debug-inject: expected <kind>:<file-glob>", r.err)

    def test_no_fault_without_match(self):
        r = self.run_fault("crash", 1)
        self.assertEqual(r.code, 2)
        r = self.w.tether("--format", "json", "--debug-inject", "crash:zz.cpp",
                          files=["a.cpp", "b.cpp"])
        self.assertEqual(r.code, 1, r.err)
        self.assertEqual(finding_files(r.json()), ["a.cpp", "b.cpp"])


def validate_sarif(test, doc):
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.validate(doc, schema)


class Hostile(unittest.TestCase):
    """Inputs a real code base has: each gets a clear message (or is
    analysed), and the run goes on."""

    def setUp(self):
        self.w = Workdir()
        self.w.write("good.cpp", DETACHED)

    def tearDown(self):
        self.w.cleanup()

    def test_invalid_utf8(self):
        # In a comment on the finding's line, in a string, and in the name.
        src = DETACHED.replace(b"  t.detach();",
                               b"  t.detach(); // caf\xe9 \xff\xfe")
        src += b'const char *s = "\xc3\x28 \xa0\xa1";\n'
        self.w.write("latin1.cpp", src)
        self.w.write(b"na\xefve-\xff.cpp", src)
        files = [b"latin1.cpp", b"na\xefve-\xff.cpp", b"good.cpp"]
        for fmt in ("json", "sarif", "codeclimate", "text"):
            r = self.w.tether("--format", fmt, "-j", "2", files=files)
            self.assertEqual(r.code, 1, r.err)
            if fmt != "text":
                doc = r.json()  # strict UTF-8 JSON
            if fmt == "json":
                self.assertEqual(len(doc["diagnostics"]), 3)
            if fmt == "sarif":
                validate_sarif(self, doc)

    def test_crlf(self):
        self.w.write("crlf.cpp", DETACHED.replace(b"\n", b"\r\n"))
        r = self.w.tether("--format", "json", files=["crlf.cpp"])
        self.assertEqual(r.code, 1, r.err)
        d = r.json()["diagnostics"]
        self.assertEqual([(x["line"], x["column"]) for x in d], [(5, 5)])
        self.assertNotIn("\r", d[0]["message"])

    def test_line_directive(self):
        src = b'#include <thread>\nvoid work();\n#line 500 "generated.y"\n' \
              b"void start() {\n  std::thread t(work);\n  t.detach();\n}\n"
        self.w.write("lined.cpp", src)
        r = self.w.tether("--format", "json", files=["lined.cpp", "good.cpp"])
        self.assertEqual(r.code, 1, r.err)
        doc = r.json()
        self.assertEqual(doc["errors"], [])
        self.assertEqual(len(doc["diagnostics"]), 2, doc["diagnostics"])

    def test_very_long_line(self):
        long_line = b"int big[] = {" + b"1," * 500000 + b"1};\n"
        src = DETACHED + long_line + b"// " + b"x" * (1 << 20) + b"\n"
        src = src.replace(b"  t.detach();",
                          b"  t.detach(); /*" + b"y" * (1 << 20) + b"*/")
        self.w.write("long.cpp", src)
        r = self.w.tether("--format", "json", files=["long.cpp", "good.cpp"])
        self.assertEqual(r.code, 1, r.err)
        self.assertEqual(len(r.json()["diagnostics"]), 2)
        self.assertLess(r.seconds, 60)

    def test_not_cpp(self):
        self.w.write("binary.cpp", bytes(range(256)) * 64)
        self.w.write("prose.cpp", b"This is not C++ at all.\nJust words.\n")
        self.w.write("empty.cpp", b"")
        r = self.w.tether("--format", "json", "-j", "2",
                          files=["binary.cpp", "prose.cpp", "empty.cpp",
                                 "good.cpp"])
        self.assertEqual(r.code, 2, r.err)
        doc = r.json()
        self.assertEqual(finding_files(doc), ["good.cpp"])
        self.assertEqual(sorted(e["file"] for e in doc["errors"]),
                         ["binary.cpp", "prose.cpp"])
        for e in doc["errors"]:
            self.assertIn("could not analyze this file", e["message"])
        self.assertIn("prose.cpp: error: could not analyze this file", r.err)

    def database(self, entries):
        with open(os.path.join(self.w.root, "compile_commands.json"),
                  "w") as f:
            json.dump(entries, f)

    def entry(self, name):
        return {"directory": self.w.root, "file": name,
                "arguments": ["clang++", "-std=c++20", "-c", name]}

    def test_database_missing_and_unreadable(self):
        os.mkdir(os.path.join(self.w.root, "dir.cpp"))
        os.symlink("nowhere.cpp", os.path.join(self.w.root, "dangling.cpp"))
        self.w.write("locked.cpp", DETACHED)
        os.chmod(os.path.join(self.w.root, "locked.cpp"), 0)
        names = ["good.cpp", "missing.cpp", "dir.cpp", "dangling.cpp",
                 "locked.cpp"]
        self.database([self.entry(n) for n in names])
        r = self.w.tether("--format", "json", "-p", ".", "-j", "2",
                          flags=None)
        self.assertEqual(r.code, 2, r.err)
        doc = r.json()
        errors = {os.path.basename(e["file"]): e["message"]
                  for e in doc["errors"]}
        self.assertIn("no such file", errors["missing.cpp"])
        self.assertIn("no such file", errors["dangling.cpp"])
        self.assertIn("dir.cpp", errors)
        self.assertIn("directory", errors["dir.cpp"])
        if os.geteuid() != 0:  # root reads it anyway
            self.assertIn("locked.cpp", errors)
        self.assertIn("good.cpp", [os.path.basename(f)
                                   for f in finding_files(doc)])
        for name in ("missing.cpp", "dir.cpp", "dangling.cpp"):
            self.assertIn(name, r.err)

    def test_database_10000_entries(self):
        # 10,000 translation units; a hundred of them have a finding.
        os.mkdir(os.path.join(self.w.root, "gen"))
        entries = []
        for i in range(10000):
            name = "gen/u%05d.cpp" % i
            body = b"int f%d() { return %d; }\n" % (i, i)
            if i % 100 == 0:
                body += b"int shared%d;\nvoid g%d() { ++shared%d; }\n" % (
                    i, i, i)
            self.w.write(name, body)
            entries.append(self.entry(name))
        self.database(entries)
        r = self.w.tether("--format", "json", "-p", ".", "-j", "4", "-q",
                          "--checks=-*,global-*", "--strict-globals",
                          flags=None, timeout=900)
        self.assertEqual(r.code, 1, r.err)
        doc = r.json()
        self.assertEqual(doc["summary"]["files_analyzed"], 10000)
        self.assertEqual(doc["errors"], [])
        self.assertEqual(len(finding_files(doc)), 100)
        print("10,000 units: %.1f s" % r.seconds, file=sys.stderr)


if __name__ == "__main__":
    TETHER = sys.argv[1]
    SCHEMA = sys.argv[2]
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
