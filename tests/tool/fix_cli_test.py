#!/usr/bin/env python3
"""fix_cli_test.py - --fix, --fix-notes, --export-fixes, --format-style.

The built binary, end to end. The findings come from facts files
(--facts-out, then --merge): one real analysis writes them, and each case
puts the fix-its it needs on the findings, so the cases do not depend on
which checks have fix-its. Exercised: the files rewritten and the summary
line, conflicts (none of either finding applied), NOLINT-silenced findings
left alone, note fix-its only with --fix-notes, a read-only file (an error
naming it, the other files fixed, exit 2), offsets beyond the file, an
unwritable --export-fixes path (exit 2 before the analysis), the YAML round
trip through clang-apply-replacements (the same bytes as --fix),
--format-style none against a .clang-format, SARIF fixes against the SARIF
2.1.0 schema; and once with the checks' own fix-its on a fixture: --fix
and --export-fixes + clang-apply-replacements --format give the same bytes,
a second --fix changes nothing.

  fix_cli_test.py <tether> <sarif-schema.json> FixCli.test_<case>
"""

import copy
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

TETHER = None
SCHEMA = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

MAIN = """#include <thread>
void work();
void start() {
  std::thread t(work);
  t.detach();
}
int a=1;
int b=2;
int c=3;
"""


class FixCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tether-fixcli-")
        self.main = self.write("main.cpp", MAIN)
        facts = os.path.join(self.dir, "main.facts.json")
        # A relative path, so that messages show "main.cpp".
        rc, out, err = self.tether(["--no-cache", "--checks",
                                    "-*,spawn-detached-thread",
                                    "--facts-out", facts, "main.cpp", "--",
                                    "-std=c++20"])
        self.assertEqual(rc, 1, err)
        with open(facts) as f:
            self.facts = json.load(f)
        self.assertTrue(self.facts["diagnostics"], self.facts)
        self.template = self.facts["diagnostics"][0]

    def tearDown(self):
        for root, dirs, files in os.walk(self.dir):
            for n in files:
                os.chmod(os.path.join(root, n), 0o644)
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def read(self, name):
        with open(os.path.join(self.dir, name), newline="") as f:
            return f.read()

    def tether(self, args, cwd=None):
        p = subprocess.run([TETHER] + args, cwd=cwd or self.dir,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr

    def offset(self, text, needle):
        i = MAIN.find(needle) if text is None else text.find(needle)
        self.assertGreaterEqual(i, 0, needle)
        return i

    def finding(self, check, line, fixes, notes=None):
        d = copy.deepcopy(self.template)
        d["check"] = check
        d["pos"]["line"] = line
        d["pos"]["column"] = 1
        d["message"] = "finding of " + check
        d["fixes"] = fixes
        d["notes"] = notes or []
        d["source"] = MAIN.splitlines()[line - 1]
        return d

    def fix(self, needle, text, file=None, length=None, within=None):
        content = within if within is not None else MAIN
        return {"file": file or self.main,
                "offset": self.offset(content, needle),
                "length": len(needle) if length is None else length,
                "replacement": text}

    def merge(self, findings, extra, cwd=None):
        self.facts["diagnostics"] = findings
        path = os.path.join(self.dir, "case.facts.json")
        with open(path, "w") as f:
            json.dump(self.facts, f)
        return self.tether(["--merge", path, "--no-project",
                            "--checks", "*"] + extra, cwd)

    def test_fix_applies_and_summarizes(self):
        ds = [self.finding("spawn-detached-thread", 5,
                           [self.fix("t.detach()", "t.join()")]),
              self.finding("supervision-unjoined-member", 8,
                           [self.fix("int b=2;", "int b = 20;")])]
        rc, out, err = self.merge(ds, ["--fix", "--format-style", "none"])
        self.assertEqual(rc, 1, err)  # findings were reported
        text = self.read("main.cpp")
        self.assertIn("  t.join();\n", text)
        self.assertIn("int b = 20;\n", text)
        self.assertIn("int a=1;\n", text)  # untouched lines stay
        self.assertIn("tether: applied 2 fix-its for 2 findings in 1 file\n",
                      err)
        # No temporary file left in the directory.
        self.assertEqual([n for n in os.listdir(self.dir)
                          if ".tether-fix-" in n], [])

    def test_unchanged_file_is_not_rewritten(self):
        # A rewrite to the same text (the code is already fixed): the file
        # keeps its inode and time stamp.
        ds = [self.finding("spawn-detached-thread", 5,
                           [self.fix("t.detach()", "t.detach()")])]
        old = os.stat(self.main)
        os.utime(self.main, ns=(old.st_atime_ns, old.st_mtime_ns - 10**9))
        before = os.stat(self.main)
        rc, out, err = self.merge(ds, ["--fix", "--format-style", "none"])
        self.assertEqual(rc, 1, err)
        after = os.stat(self.main)
        self.assertEqual((after.st_ino, after.st_mtime_ns),
                         (before.st_ino, before.st_mtime_ns))
        self.assertIn("applied 1 fix-it for 1 finding in 0 files", err)

    def test_conflict_applies_neither_finding(self):
        ds = [self.finding("spawn-unjoined-thread", 7,
                           [self.fix("int a=1;", "int a = 10;"),
                            self.fix("int c=3;", "int c = 30;")]),
              self.finding("spawn-discarded-async", 8, [self.fix("a=1", "x=1")]),
              self.finding("global-shared-mutable", 9,
                           [self.fix("int b=2;", "int b;")])]
        rc, out, err = self.merge(ds, ["--fix", "--format-style", "none"])
        self.assertEqual(rc, 1, err)
        self.assertIn("tether: conflicting fix-its in main.cpp: "
                      "[spawn-unjoined-thread] at 7:1 and "
                      "[spawn-discarded-async] at 7:5; neither applied\n", err)
        self.assertIn("applied 1 fix-it for 1 finding in 1 file; 2 findings "
                      "not fixed (conflicts: 2)", err)
        text = self.read("main.cpp")
        self.assertIn("int a=1;\nint b;\nint c=3;\n", text)

    def test_nolint_finding_is_not_fixed(self):
        self.main = self.write("main.cpp", MAIN.replace(
            "int a=1;", "int a=1; // NOLINT"))
        nolint = self.finding("spawn-unjoined-thread", 7, [{
            "file": self.main, "offset": MAIN.find("int a=1;"), "length": 8,
            "replacement": "int a = 10;"}])
        rc, out, err = self.merge([nolint], ["--fix"])
        self.assertEqual(rc, 0, err)
        self.assertIn("int a=1; // NOLINT", self.read("main.cpp"))
        self.assertIn("applied 0 fix-its for 0 findings in 0 files", err)

    def test_note_fixes_only_with_fix_notes(self):
        note = {"pos": copy.deepcopy(self.template["pos"]),
                "message": "fix: join it", "source": "",
                "fixes": [self.fix("t.detach()", "t.join()")]}
        ds = [self.finding("spawn-detached-thread", 5, [], [note])]
        rc, out, err = self.merge(ds, ["--fix"])
        self.assertEqual(self.read("main.cpp"), MAIN, err)
        rc, out, err = self.merge(ds, ["--fix-notes"])
        self.assertIn("  t.join();\n", self.read("main.cpp"), err)
        self.assertIn("applied 1 fix-it for 1 finding in 1 file", err)

    def test_read_only_file_is_an_error_and_others_are_fixed(self):
        other = self.write("other.cpp", "int z=0;\n")
        os.chmod(self.main, 0o444)
        ds = [self.finding("spawn-unjoined-thread", 7,
                           [self.fix("int a=1;", "int a = 10;")]),
              self.finding("spawn-discarded-async", 8, [{
                  "file": other, "offset": 0, "length": 8,
                  "replacement": "int z = 1;"}])]
        rc, out, err = self.merge(ds, ["--fix", "--format-style", "none"])
        self.assertEqual(rc, 2, err)
        self.assertIn("tether: error: cannot write '%s': the file is "
                      "read-only" % self.main, err)
        self.assertEqual(self.read("main.cpp"), MAIN)
        self.assertEqual(self.read("other.cpp"), "int z = 1;\n")
        self.assertIn("applied 1 fix-it for 1 finding in 1 file; 1 finding "
                      "not fixed (errors: 1)", err)

    def test_offsets_beyond_the_file_are_an_error(self):
        ds = [self.finding("spawn-unjoined-thread", 7, [{
            "file": self.main, "offset": len(MAIN) - 2, "length": 50,
            "replacement": "x"}])]
        rc, out, err = self.merge(ds, ["--fix"])
        self.assertEqual(rc, 2, err)
        self.assertIn("changed since it was analyzed", err)
        self.assertEqual(self.read("main.cpp"), MAIN)

    def test_unwritable_export_path_fails_before_analysis(self):
        bad = os.path.join(self.dir, "no-such-dir", "fixes.yaml")
        rc, out, err = self.tether(["--export-fixes", bad, "--no-cache",
                                    self.main, "--", "-std=c++20"])
        self.assertEqual(rc, 2, err)
        self.assertIn("tether: error: --export-fixes: cannot write output "
                      "file '%s'" % bad, err)
        self.assertNotIn("analyzed", err)  # no summary: nothing ran
        self.assertEqual(out, "")

    def test_bad_format_style_fails_before_analysis(self):
        rc, out, err = self.tether(["--fix", "--format-style", "NoSuch",
                                    self.main, "--", "-std=c++20"])
        self.assertEqual(rc, 2, err)
        self.assertIn("--format-style", err)
        self.assertEqual(self.read("main.cpp"), MAIN)

    def findings_for_roundtrip(self, other):
        return [self.finding("spawn-detached-thread", 5,
                             [self.fix("t.detach()", "t.join()"),
                              {"file": self.main, "offset": 0, "length": 0,
                               "replacement": "#include <utility>\n"}]),
                self.finding("spawn-discarded-async", 8,
                             [{"file": self.main, "offset": 0, "length": 0,
                               "replacement": "#include <utility>\n"},
                              self.fix("int b=2;", "int b=g(1,2);")]),
                self.finding("global-shared-mutable", 9, [{
                    "file": other, "offset": 4, "length": 1,
                    "replacement": "renamed"}]),
                self.finding("send-wait-without-predicate", 7, [self.fix("a=1", "a=7")]),
                self.finding("send-lost-wakeup", 7, [{
                    "file": self.main, "offset": MAIN.find("a=1"),
                    "length": 1, "replacement": "q"}])]

    def test_yaml_round_trip_matches_fix(self):
        car = shutil.which("clang-apply-replacements-19") or \
            shutil.which("clang-apply-replacements")
        if not car:
            self.skipTest("clang-apply-replacements is not installed")
        other = self.write("other.cpp", "int z=0;\n")
        ds = self.findings_for_roundtrip(other)
        yaml_dir = os.path.join(self.dir, "fixes")
        os.mkdir(yaml_dir)
        yaml = os.path.join(yaml_dir, "main.yaml")
        rc, out, err = self.merge(ds, ["--export-fixes", yaml])
        self.assertEqual(rc, 1, err)
        self.assertEqual(self.read("main.cpp"), MAIN)  # export only
        with open(yaml) as f:
            exported = f.read()
        for key in ("MainSourceFile:", "Diagnostics:", "DiagnosticName:",
                    "DiagnosticMessage:", "FilePath:", "FileOffset:",
                    "Replacements:", "ReplacementText:", "Level:"):
            self.assertIn(key, exported)
        p = subprocess.run([car, yaml_dir], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + exported)
        applied = self.read("main.cpp"), self.read("other.cpp")
        # The same through --fix, from the original files.
        self.write("main.cpp", MAIN)
        self.write("other.cpp", "int z=0;\n")
        rc, out, err = self.merge(ds, ["--fix", "--format-style", "none"])
        self.assertEqual(rc, 1, err)
        self.assertEqual((self.read("main.cpp"), self.read("other.cpp")),
                         applied)
        self.assertTrue(applied[0].startswith("#include <utility>\n#include"),
                        applied[0])  # once, not twice
        self.assertIn("int a=1;", applied[0])  # the clash: neither
        self.assertEqual(applied[1], "int renamed=0;\n")

    def test_export_and_fix_together(self):
        other = self.write("other.cpp", "int z=0;\n")
        ds = self.findings_for_roundtrip(other)
        yaml = os.path.join(self.dir, "both.yaml")
        rc, out, err = self.merge(ds, ["--fix", "--export-fixes", yaml])
        self.assertEqual(rc, 1, err)
        self.assertTrue(os.path.exists(yaml))
        self.assertIn("t.join()", self.read("main.cpp"))
        with open(yaml) as f:
            exported = f.read()
        self.assertIn("ReplacementText:", exported)
        self.assertIn("t.join()", exported)

    def test_format_style_none_against_file(self):
        ds = [self.finding("spawn-discarded-async", 8,
                           [self.fix("int b=2;", "int b=g(1,2);")])]
        rc, out, err = self.merge(ds, ["--fix", "--format-style=none"])
        self.assertIn("int a=1;\nint b=g(1,2);\nint c=3;\n",
                      self.read("main.cpp"), err)
        # Default 'file': the nearest .clang-format; only line 8 changes.
        self.write("main.cpp", MAIN)
        self.write(".clang-format", "BasedOnStyle: LLVM\n"
                   "SpaceBeforeParens: Always\n")
        rc, out, err = self.merge(ds, ["--fix"])
        self.assertIn("int a=1;\nint b = g (1, 2);\nint c=3;\n",
                      self.read("main.cpp"), err)
        # Without a .clang-format: LLVM.
        os.remove(os.path.join(self.dir, ".clang-format"))
        self.write("main.cpp", MAIN)
        rc, out, err = self.merge(ds, ["--fix"])
        self.assertIn("int a=1;\nint b = g(1, 2);\nint c=3;\n",
                      self.read("main.cpp"), err)

    def test_real_analysis_round_trip_and_idempotence(self):
        # The checks' own fix-its on a fixture, formatted: --fix and
        # --export-fixes + clang-apply-replacements --format give the same
        # bytes, and a second --fix changes nothing.
        car = shutil.which("clang-apply-replacements-19")
        if not car:
            self.skipTest("clang-apply-replacements-19 is not installed")
        src = os.path.join(ROOT, "fixtures", "spawn-detached-thread",
                           "detached_fix_task.cpp")
        flags = ["--", "-std=c++20",
                 "-I" + os.path.join(ROOT, "runtime", "include")]
        common = ["--no-cache", "--checks", "spawn-detached-thread",
                  "--quiet"]
        for d in ("a", "b", "yaml"):
            os.mkdir(os.path.join(self.dir, d))
        for d in ("a", "b"):
            shutil.copy(src, os.path.join(self.dir, d, "x.cpp"))
        a = os.path.join(self.dir, "a")
        rc, out, err = self.tether(common + ["--fix", "--format-style",
                                             "LLVM", "x.cpp"] + flags, a)
        self.assertEqual(rc, 1, err)
        fixed = self.read("a/x.cpp")
        with open(src) as f:
            self.assertNotEqual(fixed, f.read())
        rc, out, err = self.tether(
            common + ["--export-fixes", os.path.join(self.dir, "yaml",
                                                     "x.yaml"),
                      "x.cpp"] + flags, os.path.join(self.dir, "b"))
        self.assertEqual(rc, 1, err)
        p = subprocess.run([car, "--format", "--style=LLVM",
                            os.path.join(self.dir, "yaml")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual(self.read("b/x.cpp"), fixed)
        rc, out, err = self.tether(common + ["--fix", "--format-style",
                                             "LLVM", "x.cpp"] + flags, a)
        self.assertEqual(self.read("a/x.cpp"), fixed, err)
        rc, out, err = self.tether(common + ["--format", "json", "x.cpp"] +
                                   flags, a)
        left = json.loads(out)["diagnostics"]
        self.assertTrue(left)  # the cases the check leaves alone
        self.assertEqual([d for d in left if d["fixes"]], [])

    def test_sarif_fixes_validate(self):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema is not installed")
        note = {"pos": copy.deepcopy(self.template["pos"]),
                "message": "fix: or keep the thread", "source": "",
                "fixes": [self.fix("int c=3;", "int c=4;")]}
        ds = [self.finding("spawn-detached-thread", 5,
                           [self.fix("t.detach()", "t.join()"),
                            {"file": self.main, "offset": 0, "length": 0,
                             "replacement": "#include <utility>\n"}],
                           [note])]
        rc, out, err = self.merge(ds, ["--format", "json"])
        self.assertEqual(rc, 1, err)
        d = json.loads(out)["diagnostics"][0]
        self.assertEqual(len(d["fixes"]), 2)
        self.assertEqual(d["notes"][0]["fixes"][0]["replacement"], "int c=4;")
        rc, out, err = self.merge(ds, ["--format", "sarif"])
        self.assertEqual(rc, 1, err)
        doc = json.loads(out)
        with open(SCHEMA) as f:
            jsonschema.validate(doc, json.load(f))
        res = doc["runs"][0]["results"][0]
        reps = [r for c in res["fixes"][0]["artifactChanges"]
                for r in c["replacements"]]
        self.assertIn({"deletedRegion": {"charOffset": MAIN.find("t.detach"),
                                         "charLength": len("t.detach()")},
                       "insertedContent": {"text": "t.join()"}}, reps)
        self.assertIn({"deletedRegion": {"charOffset": 0, "charLength": 0},
                       "insertedContent": {"text": "#include <utility>\n"}},
                      reps)
        # The note's rewrite is the second, alternative fix.
        self.assertEqual(len(res["fixes"]), 2)
        self.assertEqual(res["fixes"][1]["description"]["text"],
                         "fix: or keep the thread")
        self.assertEqual(
            res["fixes"][1]["artifactChanges"][0]["replacements"][0]
            ["insertedContent"]["text"], "int c=4;")


if __name__ == "__main__":
    TETHER = sys.argv[1]
    SCHEMA = sys.argv[2]
    prog = unittest.main(argv=[sys.argv[0]] + sys.argv[3:], exit=False)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    # 77: ctest's SKIP_RETURN_CODE, so a missing tool shows as skipped.
    sys.exit(77 if r.skipped else 0)
