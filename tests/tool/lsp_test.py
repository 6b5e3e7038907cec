#!/usr/bin/python3
"""Drives `tether lsp` as an editor does, through a real LSP client library.

Usage: lsp_test.py <tether-binary> [unittest names]

The client side is pylsp-jsonrpc (Debian 12: python3-pylsp-jsonrpc): its
JsonRpcStreamReader/Writer frame the messages with Content-Length headers and
its Endpoint matches responses to requests and turns a cancelled future into
$/cancelRequest. Each case starts its own server in a fresh directory, with a
watchdog: a hang fails the case instead of blocking CTest.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from concurrent import futures

from pylsp_jsonrpc.endpoint import Endpoint
from pylsp_jsonrpc.exceptions import JsonRpcException
from pylsp_jsonrpc.streams import JsonRpcStreamReader, JsonRpcStreamWriter

TETHER = None
TIMEOUT = 60.0
RUNTIME_INCLUDE = os.path.realpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime",
    "include"))

DETACHED = """#include <thread>

void work();

void start() {
  std::thread t(work);
  t.detach();
}
"""

CLEAN = """#include <thread>

void work();

void start() {
  std::thread t(work);
  t.join();
}
"""


def uri(path):
    return "file://" + path


class Client:
    """An LSP client over the server's stdin/stdout."""

    def __init__(self, cwd, args=(), init_options=None, utf8=False):
        self.stderr = open(os.path.join(cwd, "server.stderr"), "wb")
        self.proc = subprocess.Popen([TETHER, "lsp", *args], cwd=cwd,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        self.cond = threading.Condition()
        self.published = []  # (uri, version, diagnostics), in order
        self.logs = []       # (type, message)
        self.raw = []        # every message the server sent
        self.writer = JsonRpcStreamWriter(self.proc.stdin)
        self.reader = JsonRpcStreamReader(self.proc.stdout)
        self.endpoint = Endpoint({
            "textDocument/publishDiagnostics": self._on_publish,
            "window/logMessage": self._on_log,
            "window/showMessage": self._on_log,
        }, self.writer.write, max_workers=2)
        self.thread = threading.Thread(target=self.reader.listen,
                                       args=(self._consume,), daemon=True)
        self.thread.start()
        caps = {"textDocument": {"publishDiagnostics": {
            "relatedInformation": True, "codeDescriptionSupport": True,
            "dataSupport": True}}}
        if utf8:
            caps["general"] = {"positionEncodings": ["utf-8", "utf-16"]}
        params = {"processId": os.getpid(), "rootUri": uri(cwd),
                  "capabilities": caps}
        if init_options is not None:
            params["initializationOptions"] = init_options
        self.init_result = self.request("initialize", params)
        self.notify("initialized", {})

    def _consume(self, message):
        with self.cond:
            self.raw.append(message)
            self.cond.notify_all()
        try:
            self.endpoint.consume(message)
        except futures.InvalidStateError:
            # pylsp-jsonrpc sets the server's answer to a request it
            # cancelled on the cancelled future; the answer is in self.raw.
            pass

    def _on_publish(self, params):
        with self.cond:
            self.published.append((params["uri"], params.get("version"),
                                   params["diagnostics"]))
            self.cond.notify_all()

    def _on_log(self, params):
        with self.cond:
            self.logs.append((params["type"], params["message"]))
            self.cond.notify_all()

    def request(self, method, params, timeout=TIMEOUT):
        return self.endpoint.request(method, params).result(timeout=timeout)

    def notify(self, method, params):
        self.endpoint.notify(method, params)

    def open(self, path, text, version=1):
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri(path), "languageId": "cpp", "version": version,
            "text": text}})

    def change(self, path, text, version):
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri(path), "version": version},
            "contentChanges": [{"text": text}]})

    def save(self, path):
        self.notify("textDocument/didSave",
                    {"textDocument": {"uri": uri(path)}})

    def wait(self, predicate, what, timeout=TIMEOUT):
        """Waits until predicate() (called under the lock) is true."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for " + what +
                                         "; published: " +
                                         json.dumps(self.published)[:3000] +
                                         "; logs: " + repr(self.logs)[:3000])
                self.cond.wait(left)

    def diagnostics(self, path, version, timeout=TIMEOUT):
        """The diagnostics published for `version` of `path`."""
        found = []

        def seen():
            for u, v, d in self.published:
                if u == uri(path) and v == version:
                    found.append(d)
                    return True
            return False
        self.wait(seen, "diagnostics of %s version %s" % (path, version),
                  timeout)
        return found[0]

    def close(self):
        """shutdown, exit; returns the exit code."""
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=30)
                self.notify("exit", None)
            return self.proc.wait(timeout=30)
        finally:
            self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.endpoint.shutdown()
        self.stderr.close()
        self.proc.stdin.close()
        self.proc.stdout.close()


def apply_edits(text, edits):
    """Applies LSP TextEdits (UTF-16 positions, as the server sends them by
    default; the test texts are ASCII there) to `text`."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(pos):
        return starts[pos["line"]] + pos["character"]
    for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"],
                                          e["range"]["start"]["character"]),
                    reverse=True):
        b, end = offset(e["range"]["start"]), offset(e["range"]["end"])
        text = text[:b] + e["newText"] + text[end:]
    return text


class Lsp(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="tether-lsp-"))
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, *args, **kw):
        c = Client(self.dir, args, **kw)
        self.clients.append(c)
        return c

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def detached(self, diags):
        return [d for d in diags if d.get("code") == "spawn-detached-thread"]

    def test_detached_thread_diagnostic(self):
        c = self.client()
        caps = c.init_result["capabilities"]
        self.assertEqual(caps["codeActionProvider"]["codeActionKinds"],
                         ["quickfix"])
        self.assertEqual(caps["textDocumentSync"]["change"], 1)
        self.assertTrue(caps["textDocumentSync"]["openClose"])
        self.assertIn("save", caps["textDocumentSync"])
        self.assertEqual(caps["positionEncoding"], "utf-16")
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        found = self.detached(c.diagnostics(path, 1))
        self.assertEqual(len(found), 1, found)
        d = found[0]
        self.assertEqual(d["source"], "tether")
        self.assertEqual(d["severity"], 2)
        self.assertEqual(d["range"]["start"]["line"], 6)  # t.detach()
        self.assertTrue(d["codeDescription"]["href"].endswith(
            "/spawn-detached-thread.md"), d)
        related = d.get("relatedInformation", [])
        self.assertGreaterEqual(len(related), 1, d)
        for r in related:
            self.assertTrue(r["location"]["uri"].startswith("file:///"))
            self.assertTrue(r["message"])
        # The thread's creation (line 5) is among the related places.
        self.assertIn(5, [r["location"]["range"]["start"]["line"]
                          for r in related if r["location"]["uri"] == uri(path)])
        self.assertEqual(d["data"]["check"], "spawn-detached-thread")
        self.assertEqual(c.close(), 0)

    def test_nolint_action_then_save(self):
        c = self.client()
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        d = self.detached(c.diagnostics(path, 1))[0]
        actions = c.request("textDocument/codeAction", {
            "textDocument": {"uri": uri(path)}, "range": d["range"],
            "context": {"diagnostics": [d]}})
        nolint = [a for a in actions if "NOLINT" in a["title"]]
        self.assertEqual(len(nolint), 1, actions)
        a = nolint[0]
        self.assertEqual(a["kind"], "quickfix")
        self.assertEqual(a["diagnostics"][0]["code"], "spawn-detached-thread")
        text = apply_edits(DETACHED, a["edit"]["changes"][uri(path)])
        self.assertIn("// NOLINT(spawn-detached-thread)", text)
        with open(path, "w") as f:
            f.write(text)
        c.change(path, text, 2)
        c.save(path)
        self.assertEqual(self.detached(c.diagnostics(path, 2)), [])
        # The CLI agrees: the saved file has no finding.
        r = subprocess.run([TETHER, "--no-cache", "-q", path, "--",
                            "-std=c++20"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(c.close(), 0)

    def test_quick_fix_then_save(self):
        # spawn-detached-thread rewrites this detach onto a task supervisor
        # of the runtime (docs/checks/spawn-detached-thread.md#fix).
        text = DETACHED.replace("void work();", "void work() {}")
        path = self.write("a.cpp", text)
        with open(os.path.join(self.dir, "compile_commands.json"), "w") as f:
            json.dump([{"directory": self.dir, "file": path,
                        "arguments": ["clang++", "-std=c++20",
                                      "-I" + RUNTIME_INCLUDE, "-c", path]}],
                      f)
        c = self.client()
        c.open(path, text)
        d = self.detached(c.diagnostics(path, 1))[0]
        self.assertIn("fix", d["data"])
        actions = c.request("textDocument/codeAction", {
            "textDocument": {"uri": uri(path)}, "range": d["range"],
            "context": {"diagnostics": [d]}})
        preferred = [a for a in actions if a.get("isPreferred")]
        self.assertEqual(len(preferred), 1, actions)
        fix = preferred[0]
        self.assertEqual(fix["kind"], "quickfix")
        self.assertEqual(fix["diagnostics"][0]["code"],
                         "spawn-detached-thread")
        # The NOLINT action is offered beside it, not preferred.
        self.assertTrue(any("NOLINT" in a["title"] and not a["isPreferred"]
                            for a in actions), actions)
        fixed = apply_edits(text, fix["edit"]["changes"][uri(path)])
        self.assertIn("#include <tether/task_supervisor.hpp>", fixed)
        self.assertIn("tether::root_task_supervisor().start(", fixed)
        self.assertNotIn("detach", fixed)
        with open(path, "w") as f:
            f.write(fixed)
        c.change(path, fixed, 2)
        c.save(path)
        # The rewritten file compiles and has no finding left.
        self.assertEqual(c.diagnostics(path, 2), [])
        self.assertEqual(c.close(), 0)

    def test_unsaved_buffer(self):
        c = self.client()
        path = self.write("a.cpp", CLEAN)
        c.open(path, CLEAN)
        self.assertEqual(self.detached(c.diagnostics(path, 1)), [])
        c.change(path, DETACHED, 2)  # not saved: the disk keeps CLEAN
        self.assertEqual(len(self.detached(c.diagnostics(path, 2))), 1)
        with open(path) as f:
            self.assertEqual(f.read(), CLEAN)
        c.change(path, CLEAN, 3)
        self.assertEqual(self.detached(c.diagnostics(path, 3)), [])
        self.assertEqual(c.close(), 0)

    def test_parse_error_is_reported(self):
        c = self.client()
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        self.assertEqual(len(self.detached(c.diagnostics(path, 1))), 1)
        broken = DETACHED.replace("t.detach();", "t.detach( int x = ;")
        c.change(path, broken, 2)
        diags = c.diagnostics(path, 2)
        self.assertEqual(len(diags), 1, diags)
        self.assertEqual(diags[0]["severity"], 1)
        self.assertIn("could not analyze", diags[0]["message"])
        self.assertEqual(diags[0]["range"]["start"]["line"], 6)
        # A missing header: the preamble changes and fails.
        missing = '#include "no_such_header.h"\n' + DETACHED
        c.change(path, missing, 3)
        diags = c.diagnostics(path, 3)
        self.assertIn("no_such_header.h", diags[0]["message"])
        # And the server still works.
        c.change(path, DETACHED, 4)
        self.assertEqual(len(self.detached(c.diagnostics(path, 4))), 1)
        self.assertEqual(c.close(), 0)

    def test_rapid_changes_publish_last(self):
        c = self.client(init_options={"debounceMs": 0})
        path = self.write("a.cpp", CLEAN)
        c.open(path, CLEAN)
        c.diagnostics(path, 1)
        two = DETACHED.replace("t.detach();",
                               "t.detach();\n  std::thread u(work);\n"
                               "  u.detach();")
        # Version 2 starts at once (no debounce); version 3 supersedes it
        # while it runs.
        c.change(path, DETACHED, 2)
        time.sleep(0.02)
        c.change(path, two, 3)
        self.assertEqual(len(self.detached(c.diagnostics(path, 3))), 2)
        time.sleep(1.0)  # anything late about version 2 would be here
        versions = [v for u, v, d in c.published if u == uri(path)]
        self.assertNotIn(2, versions)
        self.assertEqual(versions[-1], 3)
        # With the default debounce, edits in a burst are analysed once.
        c2 = self.client()
        c2.open(path, CLEAN)
        c2.diagnostics(path, 1)
        for v in range(2, 7):
            c2.change(path, DETACHED if v % 2 else two, v)
        self.assertEqual(len(self.detached(c2.diagnostics(path, 6))), 2)
        time.sleep(1.0)
        self.assertEqual([v for u, v, d in c2.published if u == uri(path)],
                         [1, 6])
        self.assertEqual(c.close(), 0)
        self.assertEqual(c2.close(), 0)

    def test_injected_crash_is_logged(self):
        c = self.client("--debug-inject", "crash:crashme.cpp")
        bad = self.write("crashme.cpp", DETACHED)
        good = self.write("good.cpp", DETACHED)
        c.open(bad, DETACHED)
        diags = c.diagnostics(bad, 1)
        self.assertEqual(len(diags), 1, diags)
        self.assertEqual(diags[0]["range"]["start"]["line"], 0)
        self.assertIn("crashed", diags[0]["message"])
        self.assertIn("server keeps running", diags[0]["message"])
        c.wait(lambda: any(t == 1 and "crashed" in m and "SIGSEGV" in m
                           for t, m in c.logs), "the crash in the log")
        # The server goes on: another file, then the crashing one again.
        c.open(good, DETACHED)
        self.assertEqual(len(self.detached(c.diagnostics(good, 1))), 1)
        c.change(bad, DETACHED + "\n", 2)
        self.assertIn("crashed", c.diagnostics(bad, 2)[0]["message"])
        self.assertEqual(c.close(), 0)

    def test_shutdown_exit(self):
        c = self.client()
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        # Shut down while the first analysis may still run.
        start = time.monotonic()
        self.assertIsNone(c.request("shutdown", None, timeout=30))
        # After shutdown, requests are refused.
        with self.assertRaises(JsonRpcException):
            c.request("textDocument/codeAction", {
                "textDocument": {"uri": uri(path)},
                "range": {"start": {"line": 0, "character": 0},
                          "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": []}}, timeout=10)
        c.notify("exit", None)
        self.assertEqual(c.proc.wait(timeout=30), 0)
        self.assertLess(time.monotonic() - start, 30)

    def test_exit_without_shutdown(self):
        c = self.client()
        c.notify("exit", None)
        self.assertEqual(c.proc.wait(timeout=30), 1)

    def test_malformed_input(self):
        c = self.client()
        stdin = c.proc.stdin
        # Bad headers, a body that is not JSON, JSON that is not JSON-RPC.
        def framed(body):
            return b"Content-Length: %d\r\n\r\n" % len(body) + body
        for raw in [b"Content-Length: banana\r\n\r\n",
                    b"Nonsense\r\n\r\n",
                    framed(b"{not json"),
                    framed(b"[]"),
                    framed(b'{"jsonrpc":"2.0","id":77,"method":123}')]:
            c.writer._wfile.write(raw)
            c.writer._wfile.flush()
        # A request with parameters of the wrong types.
        with self.assertRaises(JsonRpcException) as e:
            c.request("textDocument/codeAction",
                      {"textDocument": {"uri": 5}}, timeout=10)
        self.assertEqual(e.exception.code, -32602)
        c.wait(lambda: any("skipped a message" in m for t, m in c.logs),
               "the bad header in the log")

        def errors():
            return [m for m in c.raw if "error" in m]
        c.wait(lambda: any(m["error"]["code"] == -32700 for m in errors()),
               "a parse error response")
        c.wait(lambda: any(m.get("id") == 77 and
                           m["error"]["code"] == -32600 for m in errors()),
               "an invalid request response")
        # Still serving.
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        self.assertEqual(len(self.detached(c.diagnostics(path, 1))), 1)
        self.assertEqual(c.close(), 0)

    def test_cancel_code_action(self):
        c = self.client(init_options={"debounceMs": 5000})
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        d = self.detached(c.diagnostics(path, 1))[0]
        # An edit not yet analysed: the code action waits for it.
        c.change(path, DETACHED + "\n", 2)
        future = c.endpoint.request("textDocument/codeAction", {
            "textDocument": {"uri": uri(path)}, "range": d["range"],
            "context": {"diagnostics": [d]}})
        time.sleep(0.3)
        self.assertFalse(future.done())
        msg_id = [k for k in c.endpoint._server_request_futures][0]
        future.cancel()  # sends $/cancelRequest
        c.wait(lambda: any(m.get("id") == msg_id and "error" in m and
                           m["error"]["code"] == -32800 for m in c.raw),
               "the cancelled response")
        # A later request is answered once version 2 is analysed.
        c.save(path)
        actions = c.request("textDocument/codeAction", {
            "textDocument": {"uri": uri(path)}, "range": d["range"],
            "context": {"diagnostics": [d]}})
        self.assertTrue(any("NOLINT" in a["title"] for a in actions), actions)
        self.assertEqual(c.close(), 0)

    def test_compile_commands_in_build_dir(self):
        text = DETACHED.replace("  t.detach();",
                                "#ifdef TETHER_WANTS_DETACH\n  t.detach();\n"
                                "#else\n  t.join();\n#endif")
        path = self.write("src/a.cpp", text)
        os.makedirs(os.path.join(self.dir, "build"))
        with open(os.path.join(self.dir, "build", "compile_commands.json"),
                  "w") as f:
            json.dump([{"directory": os.path.join(self.dir, "build"),
                        "file": path,
                        "arguments": ["clang++", "-std=c++20",
                                      "-DTETHER_WANTS_DETACH", "-c", path,
                                      "-o", "a.o"]}], f)
        header = self.write("src/a.h", "#pragma once\n#include <thread>\n"
                            "inline void later(std::thread &t) {\n"
                            "#ifdef TETHER_WANTS_DETACH\n"
                            "  t.detach();\n#endif\n}\n")
        c = self.client()
        c.open(path, text)
        self.assertEqual(len(self.detached(c.diagnostics(path, 1))), 1)
        # A header borrows the command of its neighbour: the macro is set.
        with open(header) as f:
            c.open(header, f.read())
        self.assertEqual(len(self.detached(c.diagnostics(header, 1))), 1)
        # Without the database, the fallback command lacks the macro.
        c2 = self.client("--compile-commands-dir",
                         os.path.join(self.dir, "nowhere"))
        c2.open(path, text)
        self.assertEqual(self.detached(c2.diagnostics(path, 1)), [])
        self.assertEqual(c.close(), 0)
        self.assertEqual(c2.close(), 0)

    def test_parallel_files_bounded_pool(self):
        # Each analysis of slow*.cpp spends --check-timeout seconds in a
        # pseudo-check that is then skipped (the real checks still run).
        a = self.write("slow1.cpp", DETACHED)
        b = self.write("slow2.cpp", DETACHED)

        def durations(c):
            ms = [int(m.split(" finding(s) in ")[1].split(" ms")[0])
                  for t, m in c.logs if " finding(s) in " in m]
            return [x / 1000.0 for x in ms]
        for jobs in (2, 1):
            c = self.client("-j", str(jobs), "--check-timeout", "2",
                            "--debug-inject", "slow-check:slow*.cpp")
            start = time.monotonic()
            c.open(a, DETACHED)
            c.open(b, DETACHED)
            self.assertEqual(len(self.detached(c.diagnostics(a, 1))), 1)
            self.assertEqual(len(self.detached(c.diagnostics(b, 1))), 1)
            elapsed = time.monotonic() - start
            c.wait(lambda: len(durations(c)) == 2, "two analyses logged")
            each = durations(c)
            self.assertTrue(all(d >= 2 for d in each), each)
            skipped = [m for t, m in c.logs
                       if t == 2 and "tether-debug-inject" in m]
            self.assertEqual(len(skipped), 2, c.logs)
            if jobs == 2:  # the two analyses overlapped
                self.assertLess(elapsed, sum(each) - 1, each)
            else:  # one after the other
                self.assertGreaterEqual(elapsed, sum(each), each)
            self.assertEqual(c.close(), 0)

    def test_configuration_and_nolint(self):
        sub = os.path.join(self.dir, "src")
        path = self.write("src/a.cpp", DETACHED)
        config = os.path.join(self.dir, ".tether.json")
        with open(config, "w") as f:
            json.dump({"warnings_as_errors": ["spawn-*"]}, f)
        c = self.client()
        c.open(path, DETACHED)
        found = self.detached(c.diagnostics(path, 1))
        self.assertEqual([d["severity"] for d in found], [1])
        # A configuration edited on disk applies on the next analysis.
        with open(config, "w") as f:
            json.dump({"checks": "-spawn-detached-thread"}, f)
        c.save(path)
        c.wait(lambda: len([v for u, v, d in c.published
                            if u == uri(path)]) >= 2, "a second publish")
        self.assertEqual(self.detached(c.published[-1][2]), [])
        # An excluded file publishes nothing.
        with open(config, "w") as f:
            json.dump({"exclude": ["src"]}, f)
        c.change(path, DETACHED + "\n", 2)
        self.assertEqual(c.diagnostics(path, 2), [])
        # A hand-written NOLINTNEXTLINE in the buffer silences the finding.
        os.remove(config)
        silenced = DETACHED.replace(
            "  t.detach();",
            "  // NOLINTNEXTLINE(spawn-detached-thread)\n  t.detach();")
        c.change(path, silenced, 3)
        self.assertEqual(self.detached(c.diagnostics(path, 3)), [])
        c.change(path, DETACHED, 4)
        self.assertEqual(len(self.detached(c.diagnostics(path, 4))), 1)
        self.assertTrue(os.path.isdir(sub))
        self.assertEqual(c.close(), 0)

    def test_preamble_reused_then_rebuilt(self):
        c = self.client(init_options={"debounceMs": 0})
        path = self.write("a.cpp", DETACHED)
        c.open(path, DETACHED)
        c.diagnostics(path, 1)
        c.wait(lambda: any("preamble ready" in m for t, m in c.logs),
               "the preamble built after the first analysis")

        def preamble_of(version):
            c.diagnostics(path, version)
            lines = [m for t, m in c.logs if " finding(s) in " in m]
            return lines[-1].split(", preamble ")[1].split(";")[0]
        self.assertEqual(preamble_of(1), "none yet")
        c.change(path, DETACHED.replace("void work();", "void work(int);")
                 .replace("t(work)", "t(work, 1)"), 2)
        self.assertEqual(preamble_of(2), "reused")
        c.change(path, "#include <vector>\n" + DETACHED, 3)
        self.assertEqual(preamble_of(3), "built")
        self.assertEqual(len(self.detached(c.diagnostics(path, 3))), 1)
        c.change(path, "#include <vector>\n" + DETACHED + "// end\n", 4)
        self.assertEqual(preamble_of(4), "reused")
        self.assertEqual(c.close(), 0)

    def test_utf16_positions(self):
        text = DETACHED.replace("  t.detach();",
                                "  /* é😀 */ t.detach();")
        path = self.write("a.cpp", text)
        c = self.client()
        c.open(path, text)
        d = self.detached(c.diagnostics(path, 1))[0]
        line = text.split("\n")[6]
        col = line.index("t.detach")  # code points, as Python counts
        utf16 = len(line[:col].encode("utf-16-le")) // 2
        utf8 = len(line[:col].encode("utf-8"))
        self.assertNotEqual(utf16, utf8)
        self.assertIn(d["range"]["start"]["character"], (utf16, utf16 + 2))
        c8 = self.client(utf8=True)
        self.assertEqual(c8.init_result["capabilities"]["positionEncoding"],
                         "utf-8")
        c8.open(path, text)
        d8 = self.detached(c8.diagnostics(path, 1))[0]
        self.assertEqual(d8["range"]["start"]["character"] -
                         d["range"]["start"]["character"], utf8 - utf16)
        self.assertEqual(c.close(), 0)
        self.assertEqual(c8.close(), 0)


if __name__ == "__main__":
    TETHER = os.path.abspath(sys.argv.pop(1))
    unittest.main()
