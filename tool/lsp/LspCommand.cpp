//===--- LspCommand.cpp - The options of `tether lsp` ---------------------===//

#include "lsp/Server.h"

#include "Driver.h"
#include "core/CheckRegistry.h"
#include "core/Glob.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <unistd.h>

namespace tether::lsp {

int lspCommand(int Argc, char **Argv, const std::string &Version,
               const std::string &DocsBaseUri) {
  CLI::App App{"tether lsp: tether as a Language Server Protocol server on "
               "stdin/stdout, for editors (docs/editors.md)",
               "tether lsp"};
  ServerOptions O;
  O.Version = Version;
  O.DocsBaseUri = DocsBaseUri;
  std::string Checks;
  App.add_option("--compile-commands-dir", O.CompileCommandsDir,
                 "Directory of the compile_commands.json to use for every "
                 "file (default: the nearest one above each file, or in a "
                 "build/ directory beside it)");
  App.add_option("-j,--jobs", O.Jobs, "Files analysed in parallel (default 2)")
      ->check(CLI::Range(1u, 256u));
  App.add_option("--debounce-ms", O.DebounceMs,
                 "Pause after an edit before the file is analysed again "
                 "(default 300; initializationOptions.debounceMs overrides)")
      ->check(CLI::Range(0u, 60000u));
  App.add_option("--checks", Checks,
                 "Comma-separated check globs, added to the configuration "
                 "files' (as on the command line)");
  App.add_option("--config-file", O.ConfigFile,
                 "Use this configuration file for every file instead of "
                 "searching for .tether.json files");
  App.add_option("--rules", O.Overrides.Rules,
                 "Extra rule pack (JSON); repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  App.add_flag("--no-default-rules", O.NoDefaultRules,
               "Do not load the built-in rule packs");
  App.add_option("--tu-timeout", O.Limits.TUTimeoutSeconds,
                 "Stop an analysis after this many seconds (0: no limit; "
                 "default 600)")
      ->check(CLI::Range(0.0, 1e7));
  App.add_option("--check-timeout", O.Limits.CheckTimeoutSeconds,
                 "Skip a check on a file after this many seconds (0: no "
                 "limit; default 120)")
      ->check(CLI::Range(0.0, 1e7));
  // Test-only fault injection (docs/robustness.md), not in --help.
  App.add_option("--debug-inject", O.DebugInject)
      ->group("")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  try {
    App.parse(Argc, Argv); // Argv[0] is "lsp"
  } catch (const CLI::CallForHelp &) {
    std::cout << App.help();
    return 0;
  } catch (const CLI::ParseError &E) {
    std::cerr << "tether lsp: error: " << E.what() << "\n";
    return 2;
  }
  for (const std::string &Spec : O.DebugInject)
    if (std::string E = checkDebugInject(Spec); !E.empty()) {
      std::cerr << "tether lsp: error: " << E << "\n";
      return 2;
    }
  if (!Checks.empty()) {
    CheckGlobs G;
    std::string Err;
    if (!G.parse(Checks, Err)) {
      std::cerr << "tether lsp: error: --checks: " << Err << "\n";
      return 2;
    }
    O.Overrides.Checks = Checks;
  }
  CheckRegistry Registry;
  registerAllChecks(Registry);
  O.Registry = &Registry;
  return runServer(O, STDIN_FILENO, STDOUT_FILENO);
}

} // namespace tether::lsp
