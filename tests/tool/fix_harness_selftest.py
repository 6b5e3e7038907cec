#!/usr/bin/env python3
"""fix_harness_selftest.py - the fix-golden harness can fail.

Runs fix_fixtures_test.py on small fixture folders written here: a golden
that matches passes; a golden that differs, a fixed program that exits
non-zero and a golden that claims a rewritten finding is left alone each
make it fail with a message that says why; a fixed program that uses the
runtime is compiled, linked with the runtime library and run, also under
ThreadSanitizer.

  fix_harness_selftest.py <fix_fixtures_test.py> <its options...> -- <test>
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HARNESS = []

CHECK = "spawn-detached-thread"

CLEAN = """// A file without findings.
int twice(int x) { return 2 * x; }
// expected-no-diagnostics
"""

RUNTIME_MAIN = """// Uses the runtime, so the link needs the library.
#include <tether/error.hpp>
#include <thread>
int main() {
  std::thread t([] {});
  t.join();
  // Defined in the library, not the header.
  return tether::to_string(tether::errc::exception).empty() ? 1 : 0;
}
// expected-no-diagnostics
"""

FAILING_MAIN = """int main() { return 3; }
// expected-no-diagnostics
"""

# A detach the check rewrites (the work ends on its own, nothing is
# captured by reference).
DETACHED = """#include <atomic>
#include <thread>
std::atomic<int> done{0};
void start() {
  std::thread t([] { done.fetch_add(1); });
  t.detach(); // expected-warning:5 [spawn-detached-thread] {{}}
}
"""


class HarnessSelfTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="tether-fixself-")
        os.makedirs(os.path.join(self.root, CHECK))
        os.makedirs(os.path.join(self.root, "include"))

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def pair(self, name, source, golden=None):
        d = os.path.join(self.root, CHECK)
        with open(os.path.join(d, name + ".cpp"), "w") as f:
            f.write(source)
        with open(os.path.join(d, name + ".cpp.fixed"), "w") as f:
            f.write(source if golden is None else golden)

    def harness(self, name, extra=()):
        p = subprocess.run([sys.executable] + HARNESS + list(extra) +
                           ["--fixtures", self.root, CHECK + "/" + name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600)
        return p.returncode, p.stdout

    def test_golden_matches(self):
        self.pair("clean", CLEAN)
        rc, out = self.harness("clean")
        self.assertEqual(rc, 0, out)
        self.assertIn("golden matches", out)

    def test_golden_mismatch_fails(self):
        self.pair("clean", CLEAN, CLEAN.replace("2 * x", "x + x"))
        rc, out = self.harness("clean")
        self.assertEqual(rc, 1, out)
        self.assertIn("differs from the golden file", out)
        # A unified diff of golden against result.
        self.assertIn("-int twice(int x) { return x + x; }", out)
        self.assertIn("+int twice(int x) { return 2 * x; }", out)

    def test_program_runs(self):
        self.pair("main_ok", RUNTIME_MAIN)
        rc, out = self.harness("main_ok")
        self.assertEqual(rc, 0, out)
        self.assertIn("compiles, runs", out)

    def test_sanitizer_program_runs(self):
        self.pair("main_ok", RUNTIME_MAIN)
        rc, out = self.harness("main_ok", ["--sanitizer", "thread"])
        self.assertEqual(rc, 0, out)
        self.assertIn("runs clean under -fsanitize=thread", out)
        self.pair("clean", CLEAN)
        rc, out = self.harness("clean", ["--sanitizer", "thread"])
        self.assertEqual(rc, 77, out)  # no main: skipped

    def test_failing_program_fails(self):
        self.pair("main_bad", FAILING_MAIN)
        rc, out = self.harness("main_bad")
        self.assertEqual(rc, 1, out)
        self.assertIn("the fixed program exited 3", out)

    def test_unfixed_golden_fails(self):
        # The check rewrites this detach; a golden that is the input itself
        # claims it is left alone.
        self.pair("detached", DETACHED)
        rc, out = self.harness("detached")
        self.assertEqual(rc, 1, out)
        self.assertIn("differs from the golden file", out)


if __name__ == "__main__":
    sep = sys.argv.index("--")
    HARNESS = sys.argv[1:sep]
    unittest.main(argv=[sys.argv[0]] + sys.argv[sep + 1:])
