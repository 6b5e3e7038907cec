//===--- Server.h - tether as a language server (tether lsp) --------------===//
//
// A Language Server Protocol server over stdin/stdout (docs/editors.md):
// full text synchronization, publishDiagnostics on open, on save and, after
// a pause (debounce), on change; code actions (the findings' fix-its and a
// NOLINT suppression). Analyses of different files run in parallel on -j
// worker threads; an edit cancels the analysis of the file's older version,
// whose results are never published. A crash in one analysis is logged
// (window/logMessage) and shown at line 1; the server goes on.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_LSP_SERVER_H
#define TETHER_TOOL_LSP_SERVER_H

#include "Config.h"
#include "Recovery.h"

#include <string>
#include <vector>

namespace tether {
class CheckRegistry;
} // namespace tether

namespace tether::lsp {

struct ServerOptions {
  /// --compile-commands-dir; empty: search from each file upward.
  std::string CompileCommandsDir;
  unsigned Jobs = 2;
  /// The pause after an edit before it is analysed; the client may change
  /// it with initializationOptions.debounceMs.
  unsigned DebounceMs = 300;
  std::string ConfigFile; ///< --config-file
  ConfigOverrides Overrides;
  bool NoDefaultRules = false;
  tether::Limits Limits;
  std::vector<std::string> DebugInject;
  std::string DocsBaseUri;
  std::string Version;
  const CheckRegistry *Registry = nullptr;
};

/// Serves one client on the file descriptors until `exit` or the end of
/// input. Returns the process exit code: 0 after shutdown then exit, 1
/// otherwise, 2 when the options are unusable (a bad rule pack).
int runServer(const ServerOptions &O, int InFD, int OutFD);

/// `tether lsp [options]`, with Argv[0] "lsp" (or "--lsp"):
/// parses the options and serves stdin/stdout.
int lspCommand(int Argc, char **Argv, const std::string &Version,
               const std::string &DocsBaseUri);

} // namespace tether::lsp

#endif
