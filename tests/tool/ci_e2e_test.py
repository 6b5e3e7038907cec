#!/usr/bin/env python3
"""End-to-end tests of tether in CI, driven as a user would.

Each test creates a git repository in a temporary directory, commits code
with findings and runs the built tether binary from the repository root on
the committed files: NOLINT suppressions, per-directory .tether.json
configuration, baselines, --warnings-as-errors, the codeclimate report,
progress lines, and SARIF validated against the SARIF 2.1.0 JSON schema.

usage: ci_e2e_test.py <tether-binary> <sarif-schema.json> [unittest args]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

TETHER = None
SCHEMA = None

FLAGS = ["--", "-std=c++20"]


class Repo:
    """A throw-away git repository."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="tether-ci-e2e-")
        self.git("init", "-q")

    def git(self, *args):
        env = dict(os.environ,
                   GIT_AUTHOR_NAME="ci", GIT_AUTHOR_EMAIL="ci@example.com",
                   GIT_COMMITTER_NAME="ci",
                   GIT_COMMITTER_EMAIL="ci@example.com")
        return subprocess.run(["git", *args], cwd=self.root, env=env,
                              check=True, capture_output=True,
                              text=True).stdout

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))

    def commit(self, message="change"):
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def sources(self):
        return sorted(self.git("ls-files", "*.cpp").split())

    def tether(self, *args, files=None):
        files = self.sources() if files is None else files
        cmd = [TETHER, *args, *files, *FLAGS]
        p = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True)
        return p

    def json(self, *args, files=None):
        p = self.tether("--format", "json", "-q", *args, files=files)
        return p, json.loads(p.stdout)

    def sarif(self, *args, files=None):
        p = self.tether("--format", "sarif", "-q", *args, files=files)
        doc = json.loads(p.stdout)
        validate_sarif(doc)
        return p, doc

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def validate_sarif(doc):
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft4Validator(schema).validate(doc)


def lines_of(doc, check=None):
    return sorted((d["file"], d["line"]) for d in doc["diagnostics"]
                  if check is None or d["check"] == check)


class CiEndToEnd(unittest.TestCase):
    def setUp(self):
        self.repo = Repo()

    def tearDown(self):
        self.repo.cleanup()

    # --- 1. NOLINT -------------------------------------------------------
    def test_suppressions(self):
        r = self.repo
        r.write("src/nolint.cpp", """
            #include <thread>
            void work();
            #define LAUNCH() std::thread(work).detach()
            void plain() { std::thread(work).detach(); }
            void same_line() { std::thread(work).detach(); } // NOLINT(spawn-detached-thread)
            void any_check() { std::thread(work).detach(); } // NOLINT
            void other_check() { std::thread(work).detach(); } // NOLINT(send-*)
            // NOLINTNEXTLINE(spawn-*)
            void next_line() { std::thread(work).detach(); }
            // NOLINTBEGIN(spawn-detached-thread)
            void block1() { std::thread(work).detach(); }
            void block2() { std::thread(work).detach(); }
            // NOLINTEND(spawn-detached-thread)
            void via_macro() { LAUNCH(); } // NOLINT
            void via_macro_reported() { LAUNCH(); }
            """)
        r.commit("code with findings")
        p, doc = r.json()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(lines_of(doc), [("src/nolint.cpp", 4),
                                         ("src/nolint.cpp", 7),
                                         ("src/nolint.cpp", 15)])
        self.assertEqual(doc["summary"]["suppressed"], 6)
        p, sarif = r.sarif()
        results = sarif["runs"][0]["results"]
        suppressed = [x for x in results if "suppressions" in x]
        self.assertEqual(len(suppressed), 6)
        for x in suppressed:
            self.assertEqual(x["suppressions"], [{"kind": "inSource"}])
        self.assertEqual(len(results), 9)

        # Only suppressed findings: the run is clean.
        r.write("src/clean.cpp", """
            #include <thread>
            void work();
            void f() { std::thread(work).detach(); } // NOLINT
            """)
        r.commit()
        p = r.tether("-q", files=["src/clean.cpp"])
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)

    def test_unmatched_nolint_is_reported(self):
        r = self.repo
        r.write("src/open.cpp", """
            #include <thread>
            void work();
            // NOLINTBEGIN(spawn-*)
            void f() { std::thread(work).detach(); }
            // NOLINTEND(send-*)
            """)
        r.commit()
        p = r.tether("-q")
        self.assertEqual(p.returncode, 1)
        self.assertIn("src/open.cpp:3:4: error: unmatched 'NOLINTBEGIN' "
                      "comment without a subsequent 'NOLINTEND' comment "
                      "[tether-nolint]", p.stdout)
        self.assertIn("src/open.cpp:5:4: error: unmatched 'NOLINTEND' "
                      "comment without a previous 'NOLINTBEGIN' comment "
                      "[tether-nolint]", p.stdout)
        # The finding inside the unmatched block is not silenced.
        self.assertIn("src/open.cpp:4:", p.stdout)

    # --- 2. .tether.json -------------------------------------------------
    def write_project(self):
        r = self.repo
        code = """
            #include <future>
            #include <thread>
            void work();
            void detached() { std::thread(work).detach(); }
            void discarded() { std::async(std::launch::async, work); }
            """
        r.write(".tether.json", """
            {
              "checks": "-*,spawn-*",
              "exclude": ["third_party"]
            }
            """)
        r.write("legacy/.tether.json", """
            {
              "inherit": true,
              "checks": ["-spawn-detached-thread"]
            }
            """)
        r.write("solo/.tether.json", """
            {"checks": "spawn-detached-thread"}
            """)
        for d in ("src", "legacy", "solo", "third_party/lib"):
            r.write(d + "/code.cpp", code)
        r.commit("project with configuration")

    def test_config_per_directory(self):
        self.write_project()
        r = self.repo
        p, doc = r.json()
        self.assertEqual(p.returncode, 1, p.stderr)
        found = sorted((d["file"], d["check"]) for d in doc["diagnostics"])
        self.assertEqual(found, [
            ("legacy/code.cpp", "spawn-discarded-async"),
            ("solo/code.cpp", "spawn-detached-thread"),
            ("src/code.cpp", "spawn-detached-thread"),
            ("src/code.cpp", "spawn-discarded-async"),
        ])
        self.assertEqual(doc["summary"]["files_analyzed"], 3)
        # The command line is layered last: its globs win.
        p, doc = r.json("--checks=-spawn-discarded-async")
        found = sorted((d["file"], d["check"]) for d in doc["diagnostics"])
        self.assertEqual(found, [
            ("solo/code.cpp", "spawn-detached-thread"),
            ("src/code.cpp", "spawn-detached-thread"),
        ])

    def test_dump_config(self):
        self.write_project()
        r = self.repo
        p = subprocess.run([TETHER, "--dump-config", "legacy/code.cpp"],
                           cwd=r.root, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        cfg = json.loads(p.stdout)
        self.assertEqual(cfg["checks"], "-*,spawn-*,-spawn-detached-thread")
        self.assertEqual(cfg["exclude"],
                         [os.path.realpath(r.root) + "/third_party"])
        # The dump is itself a valid configuration file.
        with open(os.path.join(r.root, "dumped.json"), "w") as f:
            f.write(p.stdout)
        p2 = subprocess.run([TETHER, "--config-file", "dumped.json",
                             "--dump-config", "src/code.cpp",
                             "--warnings-as-errors", "spawn-*"],
                            cwd=r.root, capture_output=True, text=True)
        self.assertEqual(p2.returncode, 0, p2.stderr)
        cfg2 = json.loads(p2.stdout)
        self.assertEqual(cfg2["checks"], cfg["checks"])
        self.assertEqual(cfg2["warnings_as_errors"], "spawn-*")

    def test_config_file_option(self):
        self.write_project()
        r = self.repo
        r.write("ci/tether.json", '{"checks": "-*,spawn-discarded-async"}\n')
        p, doc = r.json("--config-file", "ci/tether.json")
        found = sorted({d["check"] for d in doc["diagnostics"]})
        self.assertEqual(found, ["spawn-discarded-async"])
        # One file for everything: third_party is not excluded any more.
        self.assertIn("third_party/lib/code.cpp",
                      {d["file"] for d in doc["diagnostics"]})

    def test_check_options(self):
        r = self.repo
        code = """
            int RequestCount = 0;
            int handle() { return ++RequestCount; }
            """
        for d in ("plain", "options", "strict"):
            r.write(d + "/g.cpp", code)
        r.write(".tether.json", '{"checks": "-*,global-*"}\n')
        r.write("options/.tether.json", """
            {"inherit": true,
             "check_options": {"global-shared-mutable.Strict": "true"}}
            """)
        r.write("strict/.tether.json", """
            {"inherit": true, "strict_globals": true}
            """)
        r.commit()
        p, doc = r.json()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(sorted({d["file"] for d in doc["diagnostics"]}),
                         ["options/g.cpp", "strict/g.cpp"])
        p, doc = r.json("--strict-globals")
        self.assertEqual(sorted({d["file"] for d in doc["diagnostics"]}),
                         ["options/g.cpp", "plain/g.cpp", "strict/g.cpp"])

    def test_config_errors(self):
        r = self.repo
        r.write("src/code.cpp", "void f() {}\n")
        r.write("src/.tether.json", """
            {
              "checks": "*",
              "colour": true
            }
            """)
        r.commit()
        p = r.tether()
        self.assertEqual(p.returncode, 2)
        self.assertIn("src/.tether.json:3:13: unknown key 'colour'", p.stderr)
        r.write("src/.tether.json", """
            {
              "checks": "*",
              "strict_globals": "yes"
            }
            """)
        p = r.tether()
        self.assertEqual(p.returncode, 2)
        self.assertIn("src/.tether.json:3:21: 'strict_globals': expected "
                      "true or false", p.stderr)
        r.write("src/.tether.json", '{"checks": "spawn-$"}\n')
        p = r.tether()
        self.assertEqual(p.returncode, 2)
        self.assertIn("src/.tether.json:1:12: 'checks': invalid character",
                      p.stderr)

    # --- 3. baselines ----------------------------------------------------
    def test_baseline(self):
        r = self.repo
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            void start() {
              std::thread t(work);
              t.detach();
            }
            void twice() {
              std::thread(work).detach();
              std::thread(work).detach();
            }
            """)
        r.commit("legacy code")
        p, doc = r.json()
        fps = [d["fingerprint"] for d in doc["diagnostics"]]
        self.assertEqual(len(fps), 3)
        self.assertEqual(len(set(fps)), 3, "identical findings in one "
                         "function get distinct fingerprints")

        p = r.tether("-q", "--write-baseline", "tether-baseline.json")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(r.root, "tether-baseline.json")) as f:
            base = json.load(f)
        self.assertEqual(base["schema"], "tether-baseline")
        self.assertEqual(base["version"], 1)
        self.assertEqual(sorted(e["fingerprint"] for e in base["findings"]),
                         sorted(fps))
        self.assertEqual({e["check"] for e in base["findings"]},
                         {"spawn-detached-thread"})
        r.commit("accept the findings we have")

        p = r.tether("-q", "--baseline", "tether-baseline.json")
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)

        # Code added above a baselined finding moves it: still baselined.
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            int unrelated(int x) {
              return x + 1;
            }
            void start() {
              // a comment
              std::thread t(work);
              t.detach();
            }
            void twice() {
              std::thread(work).detach();
              std::thread(work).detach();
            }
            """)
        r.commit("edit above")
        p = r.tether("-q", "--baseline", "tether-baseline.json")
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)

        # A new finding of the same check in the same function is new.
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            int unrelated(int x) {
              return x + 1;
            }
            void start() {
              // a comment
              std::thread t(work);
              t.detach();
              std::thread u(work);
              u.detach();
            }
            void twice() {
              std::thread(work).detach();
              std::thread(work).detach();
            }
            """)
        r.commit("a new finding")
        p, doc = r.json("--baseline", "tether-baseline.json")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(lines_of(doc), [("src/a.cpp", 11)])
        self.assertEqual(doc["summary"]["baselined"], 3)
        p, sarif = r.sarif("--baseline", "tether-baseline.json")
        states = sorted((x["baselineState"],
                         x["locations"][0]["physicalLocation"]["region"]
                         ["startLine"])
                        for x in sarif["runs"][0]["results"])
        self.assertEqual(states, [("new", 11), ("unchanged", 9),
                                  ("unchanged", 14), ("unchanged", 15)])

        # A third identical finding in twice(): one new.
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            void start() {
              std::thread t(work);
              t.detach();
            }
            void twice() {
              std::thread(work).detach();
              std::thread(work).detach();
              std::thread(work).detach();
            }
            """)
        p, doc = r.json("--baseline", "tether-baseline.json")
        self.assertEqual(len(doc["diagnostics"]), 1)
        self.assertEqual(doc["diagnostics"][0]["context"], "twice")

        # Fixed findings are absent.
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            void start() {
              std::thread t(work);
              t.join();
            }
            """)
        p, sarif = r.sarif("--baseline", "tether-baseline.json")
        self.assertEqual(p.returncode, 0)
        states = sorted(x["baselineState"]
                        for x in sarif["runs"][0]["results"])
        self.assertEqual(states, ["absent"] * 3)

        bad = os.path.join(r.root, "bad.json")
        with open(bad, "w") as f:
            f.write('{"schema": "tether-baseline", "version": 7}\n')
        p = r.tether("--baseline", "bad.json")
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.json:1:42: unsupported baseline version",
                      p.stderr)

    # --- 4. warnings as errors -------------------------------------------
    def test_warnings_as_errors(self):
        r = self.repo
        r.write("src/a.cpp", """
            #include <future>
            #include <thread>
            void work();
            void detached() { std::thread(work).detach(); }
            void discarded() { std::async(std::launch::async, work); }
            """)
        r.commit()
        p = r.tether("-q", "--warnings-as-errors", "spawn-detached-*")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"src/a.cpp:4:\d+: error: .*"
                                   r"\[spawn-detached-thread\]")
        self.assertRegex(p.stdout, r"src/a.cpp:5:\d+: warning: .*"
                                   r"\[spawn-discarded-async\]")
        p, sarif = r.sarif("--warnings-as-errors", "spawn-detached-*")
        levels = {x["ruleId"]: x["level"]
                  for x in sarif["runs"][0]["results"]}
        self.assertEqual(levels, {"spawn-detached-thread": "error",
                                  "spawn-discarded-async": "warning"})
        # Without a configuration file, --checks replaces the default "*".
        p = r.tether("-q", "--checks", "spawn-discarded-async")
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("spawn-detached-thread", p.stdout)
        self.assertIn("spawn-discarded-async", p.stdout)
        # The same from the configuration file.
        r.write(".tether.json", '{"warnings_as_errors": "spawn-*"}\n')
        p = r.tether("-q")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout.count(": error: "), 2, p.stdout)
        # A suppressed error does not fail the run.
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            void detached() { std::thread(work).detach(); } // NOLINT
            """)
        p = r.tether("-q")
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)

    # --- 5. codeclimate --------------------------------------------------
    def test_codeclimate(self):
        r = self.repo
        r.write("src/a.cpp", """
            #include <thread>
            void work();
            void twice() {
              std::thread(work).detach();
              std::thread(work).detach();
            }
            """)
        r.commit()
        p = r.tether("-q", "--format", "codeclimate",
                     "--warnings-as-errors", "none-*")
        self.assertEqual(p.returncode, 1, p.stderr)
        issues = json.loads(p.stdout)
        self.assertEqual(len(issues), 2)
        for i in issues:
            self.assertEqual(i["type"], "issue")
            self.assertEqual(i["check_name"], "spawn-detached-thread")
            self.assertTrue(i["description"])
            self.assertEqual(i["severity"], "major")
            self.assertEqual(i["location"]["path"], "src/a.cpp")
            self.assertIsInstance(i["location"]["lines"]["begin"], int)
        self.assertEqual([i["location"]["lines"]["begin"] for i in issues],
                         [4, 5])
        self.assertEqual(len({i["fingerprint"] for i in issues}), 2)
        p = r.tether("-q", "--format", "codeclimate", "--warnings-as-errors",
                     "spawn-*")
        self.assertEqual({i["severity"] for i in json.loads(p.stdout)},
                         {"critical"})

    # --- 6. progress -----------------------------------------------------
    def test_progress(self):
        r = self.repo
        for n in ("a", "b", "c"):
            r.write("src/%s.cpp" % n, "void %s() {}\n" % n)
        r.commit()
        p = r.tether("-j", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l for l in p.stderr.splitlines() if l.startswith("[")]
        self.assertEqual(len(lines), 3, p.stderr)
        self.assertEqual(sorted(l.split("]")[0] for l in lines),
                         ["[1/3", "[2/3", "[3/3"])
        self.assertEqual(sorted(l.split("] ")[1] for l in lines),
                         ["src/a.cpp", "src/b.cpp", "src/c.cpp"])
        p = r.tether("-q")
        self.assertEqual(p.stderr, "")
        p = r.tether(files=["src/a.cpp"])
        self.assertNotIn("[1/1]", p.stderr)
        # On a terminal: one line rewritten in place, cleared at the end.
        import pty
        master, slave = pty.openpty()
        proc = subprocess.Popen([TETHER, *r.sources(), *FLAGS], cwd=r.root,
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait()
        os.close(master)
        tty = b"".join(chunks).decode()
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(tty.count("\r\x1b[K["), 3, repr(tty))
        self.assertIn("\r\x1b[Ktether: 0 findings", tty)
        self.assertNotIn("\n[", tty)

    # --- 7. SARIF schema -------------------------------------------------
    def test_sarif_schema(self):
        r = self.repo
        r.write("src/a.cpp", """
            #include <future>
            #include <thread>
            void work();
            void a() { std::thread(work).detach(); }
            void b(bool early) {
              std::thread t(work);
              if (early)
                return;
              t.join();
            }
            void c() { std::async(std::launch::async, work); } // NOLINT
            """)
        r.write("src/broken.cpp", "void f() { int x = ; }\n")
        r.commit()
        p, sarif = r.sarif()
        self.assertEqual(p.returncode, 2)
        self.assertFalse(sarif["runs"][0]["invocations"][0]
                         ["executionSuccessful"])
        p = r.tether("-q", "--write-baseline", "b.json",
                     files=["src/a.cpp"])
        r.write("src/a.cpp", "void a() {}\n")
        p, sarif = r.sarif("--baseline", "b.json", files=["src/a.cpp"])
        self.assertEqual(p.returncode, 0)
        self.assertTrue(all(x["baselineState"] == "absent"
                            for x in sarif["runs"][0]["results"]))


if __name__ == "__main__":
    TETHER = os.path.abspath(sys.argv[1])
    SCHEMA = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2)
