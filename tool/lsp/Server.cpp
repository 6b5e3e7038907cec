//===--- Server.cpp - tether as a language server (tether lsp) ------------===//

#include "lsp/Server.h"

#include "Driver.h"
#include "Suppressions.h"
#include "lsp/CompileCommands.h"
#include "lsp/Convert.h"
#include "lsp/FileAnalysis.h"
#include "lsp/Protocol.h"

#include "core/Glob.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/thread.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <optional>

using nlohmann::json;

namespace tether::lsp {

namespace {

using Clock = std::chrono::steady_clock;

/// LSP MessageType.
enum LogType { LogError = 1, LogWarning = 2, LogInfo = 3 };

struct PendingAction {
  json Id;
  json Params;
};

/// An open file, guarded by Server::Mutex except where noted.
struct Document {
  std::string Uri, Path;
  std::string Text;
  int64_t Version = 0;
  bool Open = true;
  std::optional<Clock::time_point> Due; ///< an analysis is wanted then
  /// The wanted run only precompiles the preamble (after the first
  /// analysis); an edit makes it a full analysis again.
  bool PrepareOnly = false;
  bool Prepared = false;
  bool Running = false;
  std::shared_ptr<std::atomic<bool>> Cancel;
  /// Used by the one worker that runs its analysis (Running), unguarded.
  FileAnalysis Analysis;
  /// The last version analysed to the end, its text and what was published.
  int64_t AnalysedVersion = -1;
  std::string AnalysedText;
  json Published = json::array();
  std::vector<PendingAction> Pending; ///< code actions waiting for it

  Document(std::string Uri, std::string Path)
      : Uri(std::move(Uri)), Path(Path), Analysis(std::move(Path)) {}
  /// Are the published diagnostics those of the current text?
  bool fresh() const { return AnalysedVersion == Version; }
};

std::string normalizedPath(const std::string &P) {
  llvm::SmallString<256> A(P);
  llvm::sys::fs::make_absolute(A);
  llvm::sys::path::remove_dots(A, true);
  return std::string(A);
}

class Server {
public:
  Server(const ServerOptions &O, int OutFD)
      : Opts(O), Out(OutFD), Commands(O.CompileCommandsDir),
        DebounceMs(O.DebounceMs) {}

  bool setUp(std::string &Error) {
    return Opts.NoDefaultRules || loadBuiltinRules(Builtin, Error);
  }

  int serve(int InFD);

private:
  // Message handling, on the reading thread.
  void handle(const json &Msg);
  void handleRequest(const json &Id, const std::string &Method,
                     const json &Params);
  void handleNotification(const std::string &Method, const json &Params);
  json initialize(const json &Params);
  void didOpen(const json &Params);
  void didChange(const json &Params);
  void didSave(const json &Params);
  void didClose(const json &Params);
  void codeAction(const json &Id, const json &Params);
  void cancelRequest(const json &Params);
  void shutdown();

  // Workers.
  void startWorkers();
  void stopWorkers();
  void worker();
  /// Analyses one version of `D` (no lock held) and returns what to
  /// publish; nullopt when nothing must be (cancelled).
  std::optional<json> analyse(Document &D, const std::string &Text,
                              const std::atomic<bool> &Cancel);
  std::optional<DriverOptions>
  optionsFor(const std::string &Path, std::shared_ptr<const EffectiveConfig> &C,
             std::string &Error);
  json actionsFor(const Document &D, const json &Params); // under Mutex
  void answerPending(Document &D);                        // under Mutex

  void log(LogType T, const std::string &Message) {
    Out.send(makeNotification("window/logMessage",
                              {{"type", T}, {"message", Message}}));
  }
  void publish(const std::string &Uri, std::optional<int64_t> Version,
               json Diags) {
    json P = {{"uri", Uri}, {"diagnostics", std::move(Diags)}};
    if (Version)
      P["version"] = *Version;
    Out.send(makeNotification("textDocument/publishDiagnostics", P));
  }
  std::shared_ptr<Document> find(const json &Params) {
    if (!Params.contains("textDocument") || !Params["textDocument"].is_object())
      return nullptr;
    auto It = Docs.find(Params["textDocument"].value("uri", ""));
    return It == Docs.end() ? nullptr : It->second;
  }

  const ServerOptions &Opts;
  MessageWriter Out;
  CompileCommands Commands;
  RuleSet Builtin;
  Encoding Enc = Encoding::UTF16;
  bool Initialized = false, ShutDown = false;

  std::mutex Mutex;
  std::condition_variable Wake; ///< work, a finished analysis, stopping
  std::map<std::string, std::shared_ptr<Document>> Docs; // guarded by Mutex
  bool Stopping = false;                                 // guarded by Mutex
  unsigned DebounceMs;                                   // guarded by Mutex
  std::vector<llvm::thread> Workers;
  std::mutex ConfigMutex; ///< ConfigResolver is not thread-safe
  std::optional<Watchdog> Dog;
};

int Server::serve(int InFD) {
  enableCrashRecovery();
  if (Opts.Limits.TUTimeoutSeconds > 0 || Opts.Limits.CheckTimeoutSeconds > 0)
    Dog.emplace();
  startWorkers();
  MessageReader In(InFD);
  int Exit = 1;
  for (;;) {
    std::string Body, Error;
    MessageReader::Status S = In.read(Body, Error);
    if (S == MessageReader::Status::End)
      break;
    if (S == MessageReader::Status::BadHeader) {
      log(LogError, "tether lsp: skipped a message: " + Error);
      continue;
    }
    json Msg = json::parse(Body, nullptr, /*allow_exceptions=*/false);
    if (Msg.is_discarded()) {
      Out.send(makeError(nullptr, ErrorCode::ParseError,
                         "the message is not valid JSON"));
      continue;
    }
    if (Msg.is_object() && Msg.contains("method") && Msg["method"] == "exit" &&
        !Msg.contains("id")) {
      Exit = ShutDown ? 0 : 1;
      break;
    }
    try {
      handle(Msg);
    } catch (const std::exception &E) {
      // A field of the wrong type (nlohmann throws): the message is bad,
      // the server is fine.
      if (Msg.is_object() && Msg.contains("id") && !Msg.contains("result") &&
          !Msg.contains("error"))
        Out.send(makeError(Msg["id"], ErrorCode::InvalidParams,
                           std::string("invalid params: ") + E.what()));
      else
        log(LogError,
            std::string("tether lsp: ignored a bad message: ") + E.what());
    }
  }
  stopWorkers();
  return Exit;
}

void Server::handle(const json &Msg) {
  if (!Msg.is_object() || !Msg.contains("jsonrpc") || Msg["jsonrpc"] != "2.0") {
    Out.send(
        makeError(Msg.is_object() && Msg.contains("id") ? Msg["id"] : json(),
                  ErrorCode::InvalidRequest, "not a JSON-RPC 2.0 message"));
    return;
  }
  if (!Msg.contains("method")) // a response to a request of ours: none
    return;
  if (!Msg["method"].is_string()) {
    Out.send(makeError(Msg.value("id", json()), ErrorCode::InvalidRequest,
                       "method is not a string"));
    return;
  }
  std::string Method = Msg["method"];
  json Params = Msg.contains("params") ? Msg["params"] : json::object();
  if (Msg.contains("id")) {
    const json &Id = Msg["id"];
    if (!Id.is_number_integer() && !Id.is_string()) {
      Out.send(makeError(nullptr, ErrorCode::InvalidRequest, "bad id"));
      return;
    }
    handleRequest(Id, Method, Params);
  } else {
    handleNotification(Method, Params);
  }
}

void Server::handleRequest(const json &Id, const std::string &Method,
                           const json &Params) {
  if (Method == "initialize") {
    if (Initialized) {
      Out.send(makeError(Id, ErrorCode::InvalidRequest, "already initialized"));
      return;
    }
    Out.send(makeResult(Id, initialize(Params)));
    Initialized = true;
    return;
  }
  if (!Initialized) {
    Out.send(makeError(Id, ErrorCode::ServerNotInitialized,
                       "the server is not initialized"));
    return;
  }
  if (ShutDown) {
    Out.send(makeError(Id, ErrorCode::InvalidRequest,
                       "the server is shutting down"));
    return;
  }
  if (Method == "shutdown") {
    shutdown();
    Out.send(makeResult(Id, nullptr));
  } else if (Method == "textDocument/codeAction") {
    codeAction(Id, Params);
  } else {
    Out.send(makeError(Id, ErrorCode::MethodNotFound,
                       "method not supported: " + Method));
  }
}

void Server::handleNotification(const std::string &Method, const json &Params) {
  if (!Initialized || ShutDown)
    return; // dropped, as the protocol says
  if (Method == "textDocument/didOpen")
    didOpen(Params);
  else if (Method == "textDocument/didChange")
    didChange(Params);
  else if (Method == "textDocument/didSave")
    didSave(Params);
  else if (Method == "textDocument/didClose")
    didClose(Params);
  else if (Method == "$/cancelRequest")
    cancelRequest(Params);
  // initialized, $/setTrace and the rest: nothing to do.
}

json Server::initialize(const json &Params) {
  const json &Caps = Params.value("capabilities", json::object());
  if (Caps.contains("general") && Caps["general"].contains("positionEncodings"))
    for (const json &E : Caps["general"]["positionEncodings"])
      if (E == "utf-8")
        Enc = Encoding::UTF8;
  if (Params.contains("initializationOptions") &&
      Params["initializationOptions"].is_object()) {
    const json &IO = Params["initializationOptions"];
    if (IO.contains("debounceMs") && IO["debounceMs"].is_number_unsigned()) {
      std::lock_guard<std::mutex> Lock(Mutex);
      DebounceMs = IO["debounceMs"].get<unsigned>();
    }
  }
  json Caps2 = {
      {"positionEncoding", Enc == Encoding::UTF8 ? "utf-8" : "utf-16"},
      {"textDocumentSync",
       {{"openClose", true},
        {"change", 1},
        {"save", {{"includeText", false}}}}},
      {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}}};
  return {{"capabilities", Caps2},
          {"serverInfo", {{"name", "tether"}, {"version", Opts.Version}}}};
}

void Server::didOpen(const json &Params) {
  const json &TD = Params.at("textDocument");
  std::string Uri = TD.at("uri").get<std::string>();
  std::string Path = uriPath(Uri);
  if (Path.empty()) {
    log(LogWarning, "tether lsp: not a local file, not analysed: " + Uri);
    return;
  }
  auto D = std::make_shared<Document>(Uri, normalizedPath(Path));
  D->Text = TD.at("text").get<std::string>();
  D->Version = TD.value("version", int64_t(0));
  D->Due = Clock::now();
  std::lock_guard<std::mutex> Lock(Mutex);
  if (auto It = Docs.find(Uri); It != Docs.end()) {
    It->second->Open = false;
    if (It->second->Cancel)
      It->second->Cancel->store(true);
  }
  Docs[Uri] = D;
  Wake.notify_all();
}

void Server::didChange(const json &Params) {
  std::lock_guard<std::mutex> Lock(Mutex);
  std::shared_ptr<Document> D = find(Params);
  if (!D)
    return;
  for (const json &C : Params.at("contentChanges")) {
    if (C.contains("range")) {
      log(LogError, "tether lsp: incremental change received, but the server "
                    "asked for full text synchronization");
      return;
    }
    D->Text = C.at("text").get<std::string>();
  }
  D->Version = Params["textDocument"].value("version", D->Version + 1);
  if (D->Running && D->Cancel)
    D->Cancel->store(true); // its result would be outdated
  D->Due = Clock::now() + std::chrono::milliseconds(DebounceMs);
  D->PrepareOnly = false;
  Wake.notify_all();
}

void Server::didSave(const json &Params) {
  std::lock_guard<std::mutex> Lock(Mutex);
  std::shared_ptr<Document> D = find(Params);
  if (!D)
    return;
  if (Params.contains("text") && Params["text"].is_string())
    D->Text = Params["text"];
  if (D->Running && D->Cancel)
    D->Cancel->store(true);
  D->Due = Clock::now();
  D->PrepareOnly = false;
  Wake.notify_all();
}

void Server::didClose(const json &Params) {
  std::shared_ptr<Document> D;
  {
    std::lock_guard<std::mutex> Lock(Mutex);
    D = find(Params);
    if (!D)
      return;
    D->Open = false;
    if (D->Cancel)
      D->Cancel->store(true);
    Docs.erase(D->Uri);
    for (PendingAction &P : D->Pending)
      Out.send(makeResult(P.Id, json::array()));
    D->Pending.clear();
  }
  publish(D->Uri, std::nullopt, json::array());
}

void Server::cancelRequest(const json &Params) {
  if (!Params.contains("id"))
    return;
  std::lock_guard<std::mutex> Lock(Mutex);
  for (auto &[Uri, D] : Docs)
    for (auto It = D->Pending.begin(); It != D->Pending.end(); ++It)
      if (It->Id == Params["id"]) {
        Out.send(makeError(It->Id, ErrorCode::RequestCancelled,
                           "request cancelled"));
        D->Pending.erase(It);
        return;
      }
}

void Server::codeAction(const json &Id, const json &Params) {
  std::lock_guard<std::mutex> Lock(Mutex);
  std::shared_ptr<Document> D = find(Params);
  if (!D) {
    Out.send(makeResult(Id, json::array()));
    return;
  }
  // Answered on the analysis of the current text, as clangd does: the
  // client's diagnostics may be older than its text.
  if (!D->fresh()) {
    D->Pending.push_back({Id, Params});
    return;
  }
  Out.send(makeResult(Id, actionsFor(*D, Params)));
}

json Server::actionsFor(const Document &D, const json &Params) {
  json Actions = json::array();
  const json Context = Params.value("context", json::object());
  if (Context.contains("only")) {
    bool Quickfix = false;
    for (const json &K : Context["only"])
      Quickfix |= K.is_string() && (K == "quickfix" ||
                                    std::string(K).rfind("quickfix.", 0) == 0);
    if (!Quickfix)
      return Actions;
  }
  LineTable Text(D.AnalysedText);
  std::vector<json> Mine;
  for (const json &C : Context.value("diagnostics", json::array()))
    for (const json &P : D.Published)
      if (P.contains("code") && C.value("code", json()) == P["code"] &&
          C.value("range", json()) == P["range"] &&
          C.value("message", "") == P.value("message", ""))
        Mine.push_back(P);
  if (Mine.empty() && Params.contains("range")) {
    // No diagnostics in the context: those on the requested lines.
    unsigned First = Params.at("range").at("start").value("line", 0u);
    unsigned Last = Params.at("range").at("end").value("line", First);
    for (const json &P : D.Published) {
      unsigned L = P["range"]["start"].value("line", 0u);
      if (P.contains("code") && L >= First && L <= Last)
        Mine.push_back(P);
    }
  }
  for (const json &P : Mine)
    for (json &A : codeActionsFor(P, D.Uri, Text, Enc))
      Actions.push_back(std::move(A));
  return Actions;
}

void Server::answerPending(Document &D) {
  for (PendingAction &P : D.Pending)
    Out.send(makeResult(P.Id, actionsFor(D, P.Params)));
  D.Pending.clear();
}

void Server::shutdown() {
  std::unique_lock<std::mutex> Lock(Mutex);
  ShutDown = true;
  for (auto &[Uri, D] : Docs) {
    D->Due.reset();
    if (D->Cancel)
      D->Cancel->store(true);
    for (PendingAction &P : D->Pending)
      Out.send(makeError(P.Id, ErrorCode::RequestCancelled,
                         "the server is shutting down"));
    D->Pending.clear();
  }
  Wake.wait(Lock, [&] {
    for (auto &[Uri, D] : Docs)
      if (D->Running)
        return false;
    return true;
  });
}

void Server::startWorkers() {
  unsigned N = std::max(1u, Opts.Jobs);
  for (unsigned I = 0; I < N; ++I)
    Workers.emplace_back(std::optional<unsigned>(WorkerStackBytes),
                         [this] { worker(); });
}

void Server::stopWorkers() {
  {
    std::lock_guard<std::mutex> Lock(Mutex);
    Stopping = true;
    for (auto &[Uri, D] : Docs)
      if (D->Cancel)
        D->Cancel->store(true);
  }
  Wake.notify_all();
  for (llvm::thread &T : Workers)
    T.join();
  Workers.clear();
  Dog.reset();
}

void Server::worker() {
  WorkerScope Scope;
  std::unique_lock<std::mutex> Lock(Mutex);
  while (!Stopping) {
    std::shared_ptr<Document> Next;
    std::optional<Clock::time_point> Earliest;
    Clock::time_point Now = Clock::now();
    for (auto &[Uri, D] : Docs) {
      if (!D->Due || D->Running)
        continue;
      if (*D->Due <= Now && (!Next || *D->Due < *Next->Due))
        Next = D;
      if (!Earliest || *D->Due < *Earliest)
        Earliest = *D->Due;
    }
    if (!Next) {
      if (Earliest)
        Wake.wait_until(Lock, *Earliest);
      else
        Wake.wait(Lock);
      continue;
    }
    Next->Due.reset();
    Next->Running = true;
    auto Cancel = std::make_shared<std::atomic<bool>>(false);
    Next->Cancel = Cancel;
    std::string Text = Next->Text;
    int64_t Version = Next->Version;
    bool PrepareOnly = Next->PrepareOnly;
    Next->PrepareOnly = false;
    Lock.unlock();
    if (PrepareOnly) {
      // The text of the published version: the preamble it precompiles
      // serves the next edit.
      auto Start = Clock::now();
      if (!Next->Analysis.prepare(Text, Opts.Limits))
        log(LogError, "tether lsp: " + Next->Path +
                          ": the preamble could not be built (the parse "
                          "stopped); the next edit parses the whole file");
      else
        log(LogInfo, "tether lsp: " + Next->Path + ": preamble ready in " +
                         std::to_string(static_cast<int>(
                             std::chrono::duration<double>(Clock::now() - Start)
                                 .count() *
                             1000)) +
                         " ms");
      Lock.lock();
      Next->Running = false;
      Wake.notify_all();
      continue;
    }
    std::optional<json> Diags = analyse(*Next, Text, *Cancel);
    Lock.lock();
    Next->Running = false;
    if (Diags && Next->Open && !Cancel->load() && Version == Next->Version &&
        !Stopping) {
      Next->AnalysedVersion = Version;
      Next->AnalysedText = Text;
      Next->Published = *Diags;
      publish(Next->Uri, Version, *Diags);
      answerPending(*Next);
      // Precompile the preamble while the editor is idle.
      if (!Next->Prepared && !Next->Due) {
        Next->Prepared = true;
        Next->PrepareOnly = true;
        Next->Due = Clock::now();
      }
    }
    Wake.notify_all();
  }
}

std::optional<DriverOptions>
Server::optionsFor(const std::string &Path,
                   std::shared_ptr<const EffectiveConfig> &C,
                   std::string &Error) {
  {
    // A resolver per analysis: an edited .tether.json applies at once.
    std::lock_guard<std::mutex> Lock(ConfigMutex);
    ConfigResolver Resolver(Opts.Overrides, Opts.ConfigFile);
    C = Resolver.forFile(Path, Error);
  }
  if (!C)
    return std::nullopt;
  DriverOptions O;
  CheckGlobs Globs;
  if (!Globs.parse(C->Checks, Error)) {
    Error = "checks: " + Error;
    return std::nullopt;
  }
  for (const CheckDescriptor &D : Opts.Registry->checks())
    if (Globs.enabled(D.Name))
      O.Checks.push_back(&D);
  O.Rules = Builtin;
  for (const std::string &F : C->Rules)
    if (!loadRulePackFileChecked(F, O.Rules, Error))
      return std::nullopt;
  O.Options.StrictGlobals = C->StrictGlobals;
  O.Options.Values = C->CheckOptions;
  O.HeaderFilter = C->HeaderFilter;
  O.Limits = Opts.Limits;
  O.DebugInject = Opts.DebugInject;
  O.Project = false; // one file at a time: no cross-file step
  O.Jobs = 1;
  return O;
}

std::optional<json> Server::analyse(Document &D, const std::string &Text,
                                    const std::atomic<bool> &Cancel) {
  json Diags = json::array();
  auto LineOne = [](const std::string &Message) {
    return json{{"range",
                 {{"start", {{"line", 0}, {"character", 0}}},
                  {"end", {{"line", 0}, {"character", 0}}}}},
                {"severity", 1},
                {"source", "tether"},
                {"message", Message}};
  };
  std::shared_ptr<const EffectiveConfig> Config;
  std::string Error;
  std::optional<DriverOptions> O = optionsFor(D.Path, Config, Error);
  if (!O) {
    log(LogError, "tether lsp: " + D.Path + ": configuration error: " + Error);
    Diags.push_back(LineOne("tether: configuration error: " + Error));
    return Diags;
  }
  if (Config->excludes(D.Path)) {
    log(LogInfo, "tether lsp: " + D.Path + " is excluded by " +
                     (Config->Sources.empty() ? std::string("the configuration")
                                              : Config->Sources.back()));
    return Diags;
  }
  if (O->Checks.empty()) {
    log(LogInfo, "tether lsp: " + D.Path +
                     ": its configuration enables no check");
    return Diags;
  }
  FileCommand Cmd = Commands.commandFor(D.Path);
  AnalysisOutcome R = D.Analysis.run(Text, Cmd, *O, Cancel);
  for (const std::string &W : R.Warnings)
    log(LogWarning, "tether lsp: " + D.Path + ": " + W);
  LineTable Main(Text);
  switch (R.Result) {
  case AnalysisOutcome::Cancelled:
    return std::nullopt;
  case AnalysisOutcome::Stopped:
    log(LogError, "tether lsp: " + D.Path + ": " + R.Message +
                      (R.Details.empty() ? "" : "\n" + R.Details));
    Diags.push_back(LineOne(R.Message + "; the server keeps running"));
    return Diags;
  case AnalysisOutcome::ParseError: {
    const CompilerError &E = R.Errors.front();
    std::string Msg = "tether could not analyze this file: " + E.Message;
    std::string Details;
    for (const CompilerError &X : R.Errors)
      Details += "\n  " +
                 (X.File.empty() ? std::string("<command line>")
                                 : X.File + ":" + std::to_string(X.Line) + ":" +
                                       std::to_string(X.Column)) +
                 ": " + X.Message;
    log(LogInfo, "tether lsp: " + D.Path +
                     ": not analysed, the compiler "
                     "reports errors (command: " +
                     R.CommandOrigin + "):" + Details);
    json Diag;
    if (E.File == D.Path && E.Line > 0) {
      Diag = LineOne(Msg);
      json P = Main.position(E.Line - 1, E.Column ? E.Column - 1 : 0, Enc);
      Diag["range"] = {{"start", P}, {"end", P}};
    } else {
      Diag = LineOne(Msg + (E.File.empty() ? ""
                                           : " (in " + E.File + ":" +
                                                 std::to_string(E.Line) + ")"));
    }
    Diags.push_back(std::move(Diag));
    return Diags;
  }
  case AnalysisOutcome::Findings:
    break;
  }
  // The file's findings: its configuration, its NOLINT comments.
  CheckGlobs Errors;
  Errors.parse(Config->WarningsAsErrors, Error);
  FileSuppressions Nolint(Text);
  std::map<std::string, std::unique_ptr<LineTable>> Others;
  ConvertContext C;
  C.Enc = Enc;
  C.DocsBaseUri = Opts.DocsBaseUri;
  C.TextOf = [&Others](const std::string &Path) -> const LineTable * {
    auto [It, New] = Others.try_emplace(Path);
    if (New) {
      auto Buf = llvm::MemoryBuffer::getFile(Path);
      if (Buf)
        It->second = std::make_unique<LineTable>((*Buf)->getBuffer().str());
    }
    return It->second.get();
  };
  std::vector<Diagnostic> Findings = std::move(R.Diagnostics);
  normalizeDiagnostics(Findings);
  unsigned Dropped = 0;
  for (Diagnostic &F : Findings) {
    if (normalizedPath(F.Pos.File) != D.Path) {
      ++Dropped; // a header's: shown when the header itself is open
      continue;
    }
    if (Nolint.suppresses(F.Pos.Line, F.Check))
      continue;
    if (Errors.enabled(F.Check))
      F.Level = Severity::Error;
    Diags.push_back(toLspDiagnostic(F, D.Path, Main, C));
  }
  log(LogInfo, "tether lsp: " + D.Path + ": " + std::to_string(Diags.size()) +
                   " finding(s) in " +
                   std::to_string(static_cast<int>(R.Seconds * 1000)) +
                   " ms, preamble " + R.Preamble +
                   "; command: " + R.CommandOrigin +
                   (Dropped ? "; " + std::to_string(Dropped) +
                                  " in included headers not shown"
                            : ""));
  return Diags;
}

} // namespace

int runServer(const ServerOptions &O, int InFD, int OutFD) {
  Server S(O, OutFD);
  std::string Error;
  if (!S.setUp(Error)) {
    MessageWriter(OutFD).send(makeNotification(
        "window/showMessage",
        {{"type", LogError}, {"message", "tether lsp: " + Error}}));
    return 2;
  }
  return S.serve(InFD);
}

} // namespace tether::lsp
