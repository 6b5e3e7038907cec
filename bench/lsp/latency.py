#!/usr/bin/env python3
"""Latency of `tether lsp`, as an editor sees it, against the compiler.

    python3 bench/lsp/latency.py [--build build] [--repeat 7] [--warmup 1]

Two ratios, each against a baseline measured in the same run, with the
measurements interleaved (baseline, server, baseline, server, ...) so that
a change in the machine's load affects both sides:

  first    time from didOpen to the first publishDiagnostics of a fresh
           server, over `clang++-19 -fsyntax-only` on the same file with the
           same flags (goal: <= 1.2). The server's start and `initialize`
           are not counted: an editor starts the server once.
  reparse  time from a didChange that leaves the #include block alone to its
           publishDiagnostics (debounce 0), over the first analysis in the
           same server (goal: <= 0.3): the preamble, precompiled by the
           server right after the first diagnostics, is reused. The edits
           start once the server logs that the preamble is ready.

The file is a realistic translation unit: <thread>, <mutex>, <vector>,
<string>, <functional>, <map> and the tether runtime's supervisor header,
with a few findings. Prints the median and the spread (min..max) of each
time and of each ratio; --json writes them too. Needs only python3.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SOURCE = """#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tether/supervisor.hpp"

namespace app {

std::mutex RegistryMutex;
std::map<std::string, std::function<void()>> Handlers;
std::vector<std::thread> Workers;

void registerHandler(const std::string &Name, std::function<void()> Fn) {
  std::lock_guard<std::mutex> Lock(RegistryMutex);
  Handlers[Name] = std::move(Fn);
}

void runAll() {
  for (auto &[Name, Fn] : Handlers)
    Workers.emplace_back(Fn);
  std::thread Logger([] { registerHandler("log", [] {}); });
  Logger.detach();
  for (std::thread &T : Workers)
    T.join();
}

int counter = 0; // EDIT
} // namespace app
"""


class Server:
    """A minimal LSP client: Content-Length framing over the pipes."""

    def __init__(self, tether, cwd):
        self.proc = subprocess.Popen([tether, "lsp"], cwd=cwd,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.cond = threading.Condition()
        self.messages = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            msg = json.loads(out.read(length))
            with self.cond:
                self.messages.append((time.perf_counter(), msg))
                self.cond.notify_all()

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def wait(self, pred, timeout=300):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, m in self.messages:
                    if pred(m):
                        return t, m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("timed out")
                self.cond.wait(left)

    def request(self, method, params):
        self.next_id += 1
        i = self.next_id
        self.send({"jsonrpc": "2.0", "id": i, "method": method,
                   "params": params})
        return self.wait(lambda m: m.get("id") == i)[1]

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def published(self, uri, version):
        return self.wait(lambda m: m.get("method") ==
                         "textDocument/publishDiagnostics" and
                         m["params"]["uri"] == uri and
                         m["params"].get("version") == version)

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=60)


def lsp_session(tether, work, path, edits):
    """Seconds to the first diagnostics, and to each re-analysis."""
    uri = "file://" + path
    s = Server(tether, work)
    s.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + work,
                             "capabilities": {},
                             "initializationOptions": {"debounceMs": 0}})
    s.notify("initialized", {})
    start = time.perf_counter()
    s.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "cpp", "version": 1, "text": SOURCE}})
    t, first = s.published(uri, 1)
    first_s = t - start
    findings = len(first["params"]["diagnostics"])
    # The preamble is precompiled right after the first diagnostics; the
    # edits below are those of a user who types after that.
    s.wait(lambda m: m.get("method") == "window/logMessage" and
           "preamble ready" in m["params"]["message"])
    again = []
    for k in range(edits):
        text = SOURCE.replace("int counter = 0; // EDIT",
                              "int counter = %d; // EDIT" % (k + 1))
        start = time.perf_counter()
        s.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": k + 2},
            "contentChanges": [{"text": text}]})
        t, _ = s.published(uri, k + 2)
        again.append(t - start)
    s.close()
    return first_s, again, findings


def compiler(clang, work, flags, path):
    start = time.perf_counter()
    r = subprocess.run([clang, "-fsyntax-only", *flags, path], cwd=work,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("the compiler fails on the benchmark file:\n" +
                 r.stderr.decode(errors="replace"))
    return time.perf_counter() - start


def spread(xs):
    return "%.3f (%.3f..%.3f)" % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--tether", help="the tether binary (default: <build>/bin/tether)")
    ap.add_argument("--clang", default="clang++-19")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--edits", type=int, default=3,
                    help="re-analyses per server (the median is kept)")
    ap.add_argument("--json", help="also write the results to this file")
    a = ap.parse_args()
    tether = a.tether or os.path.join(a.build, "bin", "tether")

    work = os.path.realpath(tempfile.mkdtemp(prefix="tether-lsp-bench-"))
    try:
        path = os.path.join(work, "app.cpp")
        with open(path, "w") as f:
            f.write(SOURCE)
        flags = ["-std=c++20", "-I" + os.path.join(ROOT, "runtime", "include")]
        with open(os.path.join(work, "compile_commands.json"), "w") as f:
            json.dump([{"directory": work, "file": path,
                        "arguments": ["clang++", *flags, "-c", path]}], f)
        base, first, again, ratio_first, ratio_again = [], [], [], [], []
        findings = 0
        for i in range(a.warmup + a.repeat):
            c = compiler(a.clang, work, flags, path)
            f, e, findings = lsp_session(tether, work, path, a.edits)
            if i < a.warmup:
                continue
            r = statistics.median(e)
            base.append(c)
            first.append(f)
            again.append(r)
            ratio_first.append(f / c)
            ratio_again.append(r / f)
        print("file: %d lines, %d findings; %d repetitions after %d warm-up"
              % (SOURCE.count("\n"), findings, a.repeat, a.warmup))
        print("seconds, median (min..max):")
        print("  clang++ -fsyntax-only       %s" % spread(base))
        print("  tether lsp first diagnostics %s" % spread(first))
        print("  tether lsp after an edit     %s" % spread(again))
        print("ratios, median (min..max):")
        print("  first / clang   %s   goal <= 1.2" % spread(ratio_first))
        print("  edit / first    %s   goal <= 0.3" % spread(ratio_again))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"clang": base, "first": first, "edit": again,
                           "first_over_clang": ratio_first,
                           "edit_over_first": ratio_again}, f, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
