//===--- Facts.cpp - JSON form of the per-TU facts ------------------------===//

#include "Facts.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using nlohmann::json;

namespace tether {

// --- Diagnostics (the per-TU findings a merge must report) ----------------

static void to_json(json &J, const SourcePos &P) {
  J = json{{"file", P.File}, {"display", P.DisplayFile}, {"line", P.Line},
           {"column", P.Column}};
}
static void from_json(const json &J, SourcePos &P) {
  J.at("file").get_to(P.File);
  J.at("display").get_to(P.DisplayFile);
  J.at("line").get_to(P.Line);
  J.at("column").get_to(P.Column);
}
static void to_json(json &J, const FixIt &F) {
  J = json{{"file", F.File}, {"offset", F.Offset}, {"length", F.Length},
           {"replacement", F.Replacement}};
}
static void from_json(const json &J, FixIt &F) {
  J.at("file").get_to(F.File);
  J.at("offset").get_to(F.Offset);
  J.at("length").get_to(F.Length);
  J.at("replacement").get_to(F.Replacement);
}
static void to_json(json &J, const Note &N) {
  J = json{{"pos", N.Pos}, {"message", N.Message}, {"source", N.SourceLine},
           {"fixes", N.Fixes}};
}
static void from_json(const json &J, Note &N) {
  J.at("pos").get_to(N.Pos);
  J.at("message").get_to(N.Message);
  J.at("source").get_to(N.SourceLine);
  J.at("fixes").get_to(N.Fixes);
}
static void to_json(json &J, const Diagnostic &D) {
  J = json{{"check", D.Check},
           {"error", D.Level == Severity::Error},
           {"pos", D.Pos},
           {"message", D.Message},
           {"notes", D.Notes},
           {"fixes", D.Fixes},
           {"source", D.SourceLine},
           {"context", D.Context}};
}
static void from_json(const json &J, Diagnostic &D) {
  J.at("check").get_to(D.Check);
  D.Level = J.at("error").get<bool>() ? Severity::Error : Severity::Warning;
  J.at("pos").get_to(D.Pos);
  J.at("message").get_to(D.Message);
  J.at("notes").get_to(D.Notes);
  J.at("fixes").get_to(D.Fixes);
  J.at("source").get_to(D.SourceLine);
  J.at("context").get_to(D.Context);
}

// --- Facts -----------------------------------------------------------------

static void to_json(json &J, const FactPos &P) {
  J = json{{"file", P.File}, {"display", P.DisplayFile}, {"line", P.Line},
           {"column", P.Column}, {"source", P.SourceLine}};
}
static void from_json(const json &J, FactPos &P) {
  J.at("file").get_to(P.File);
  J.at("display").get_to(P.DisplayFile);
  J.at("line").get_to(P.Line);
  J.at("column").get_to(P.Column);
  J.at("source").get_to(P.SourceLine);
}

#define TETHER_FIELDS_CALL(X)                                                 \
  X(Callee) X(Pos) X(Seq) X(InLoop) X(Caught) X(Named) X(Locks) X(Guards)
#define TETHER_FIELDS_SPAWN(X)                                                \
  X(Kind) X(Spawner) X(Entries) X(Pos) X(Seq) X(InLoop) X(HandleField)       \
      X(FromParam)
#define TETHER_FIELDS_HANDLEOP(X) X(Op) X(Field)
#define TETHER_FIELDS_SYNCOP(X) X(Op) X(Target) X(Kind)
#define TETHER_FIELDS_STORE(X) X(Param) X(Field)
#define TETHER_FIELDS_HANDOFF(X)                                              \
  X(Method) X(Arg) X(Entries) X(Pos) X(Seq) X(InLoop) X(CapturesThis)        \
      X(RefLocals) X(FromParam) X(Bounded) X(Awaited) X(ViaField)
#define TETHER_FIELDS_GUARD(X) X(Class) X(Target)
#define TETHER_FIELDS_ACCESS(X)                                               \
  X(Var) X(Write) X(Atomic) X(Locks) X(Guards) X(Pos) X(Seq) X(BeforeStarts) \
      X(Path) X(Member)
#define TETHER_FIELDS_THROW(X) X(What) X(Pos)
#define TETHER_FIELDS_METHODUSE(X) X(Name) X(Pos)
#define TETHER_FIELDS_OBJECT(X)                                               \
  X(Class) X(Var) X(Pos) X(Calls) X(Escapes) X(CtorEntries)
#define TETHER_FIELDS_FUNCTION(X)                                             \
  X(USR) X(Name) X(Class) X(Pos) X(IsMain) X(IsCtor) X(IsDtor) X(Virtual)    \
      X(NoThrow) X(NumParams) X(Overrides) X(CallableParams) X(Calls) X(Spawns)           \
          X(HandleOps) X(SyncOps) X(Stores) X(Invokes) X(CallsThroughFields)    \
          X(VirtualSelfCalls)   \
              X(Handoffs) X(Accesses) X(Objects) X(HasThrow) X(Throw)
#define TETHER_FIELDS_FIELD(X) X(USR) X(Name) X(Kind) X(Class) X(Type)
#define TETHER_FIELDS_CLASS(X) X(USR) X(Name) X(Pos) X(Polymorphic) X(Bases) X(Fields) X(OtherFields)
#define TETHER_FIELDS_GLOBAL(X)                                               \
  X(USR) X(Name) X(Pos) X(ThreadLocal) X(Synchronized) X(Class)

#define TETHER_TO(F) J[#F] = V.F;
#define TETHER_FROM(F) J.at(#F).get_to(V.F);
#define TETHER_JSON(Type, FIELDS)                                             \
  static void to_json(json &J, const Type &V) {                              \
    J = json::object();                                                      \
    FIELDS(TETHER_TO)                                                        \
  }                                                                          \
  static void from_json(const json &J, Type &V) { FIELDS(TETHER_FROM) }

NLOHMANN_JSON_SERIALIZE_ENUM(SpawnFactKind,
                             {{SpawnFactKind::Thread, "thread"},
                              {SpawnFactKind::ThreadFunction, "thread_function"},
                              {SpawnFactKind::Async, "async"},
                              {SpawnFactKind::Executor, "executor"}})
NLOHMANN_JSON_SERIALIZE_ENUM(FieldKind,
                             {{FieldKind::Other, "other"},
                              {FieldKind::Thread, "thread"},
                              {FieldKind::Mutex, "mutex"},
                              {FieldKind::CondVar, "condvar"},
                              {FieldKind::Atomic, "atomic"},
                              {FieldKind::Callable, "callable"},
                              {FieldKind::CallableQueue, "callable_queue"},
                              {FieldKind::MutexRef, "mutex_ref"},
                              {FieldKind::Object, "object"},
                              {FieldKind::ObjectRef, "object_ref"}})

TETHER_JSON(GuardFact, TETHER_FIELDS_GUARD)
TETHER_JSON(CallFact, TETHER_FIELDS_CALL)
TETHER_JSON(SpawnFact, TETHER_FIELDS_SPAWN)
TETHER_JSON(HandleOpFact, TETHER_FIELDS_HANDLEOP)
TETHER_JSON(SyncOpFact, TETHER_FIELDS_SYNCOP)
TETHER_JSON(StoreFact, TETHER_FIELDS_STORE)
TETHER_JSON(HandoffFact, TETHER_FIELDS_HANDOFF)
TETHER_JSON(AccessFact, TETHER_FIELDS_ACCESS)
TETHER_JSON(ThrowFact, TETHER_FIELDS_THROW)
TETHER_JSON(ObjectFact::MethodUse, TETHER_FIELDS_METHODUSE)
TETHER_JSON(ObjectFact, TETHER_FIELDS_OBJECT)
TETHER_JSON(FunctionFact, TETHER_FIELDS_FUNCTION)
TETHER_JSON(FieldFact, TETHER_FIELDS_FIELD)
TETHER_JSON(ClassFact, TETHER_FIELDS_CLASS)
TETHER_JSON(GlobalFact, TETHER_FIELDS_GLOBAL)

std::string factsToJson(const TUFacts &F) {
  json J;
  J["tether-facts"] = FactsVersion;
  J["main_file"] = F.MainFile;
  J["display_file"] = F.DisplayFile;
  J["functions"] = F.Functions;
  J["classes"] = F.Classes;
  J["globals"] = F.Globals;
  J["diagnostics"] = F.Diagnostics;
  J["reported_globals"] = F.ReportedGlobals;
  J["failed"] = F.Failed;
  J["files"] = F.Files;
  J["error"] = json{{"file", F.Error.File},
                    {"message", F.Error.Message},
                    {"details", F.Error.Details}};
  // Invalid UTF-8 in source lines or paths is replaced, never fatal.
  return J.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool factsFromJson(const std::string &Text, TUFacts &Out, std::string &Error) {
  json J = json::parse(Text, nullptr, /*allow_exceptions=*/false);
  if (J.is_discarded() || !J.is_object()) {
    Error = "not a tether facts file (invalid JSON)";
    return false;
  }
  auto V = J.find("tether-facts");
  if (V == J.end() || !V->is_number_integer()) {
    Error = "not a tether facts file (no \"tether-facts\" version)";
    return false;
  }
  if (V->get<int>() != FactsVersion) {
    Error = "facts version " + std::to_string(V->get<int>()) +
            " is not supported (this tether reads version " +
            std::to_string(FactsVersion) + "); regenerate them";
    return false;
  }
  try {
    TUFacts F;
    J.at("main_file").get_to(F.MainFile);
    J.at("display_file").get_to(F.DisplayFile);
    J.at("functions").get_to(F.Functions);
    J.at("classes").get_to(F.Classes);
    J.at("globals").get_to(F.Globals);
    J.at("diagnostics").get_to(F.Diagnostics);
    J.at("reported_globals").get_to(F.ReportedGlobals);
    J.at("failed").get_to(F.Failed);
    J.at("files").get_to(F.Files);
    const json &E = J.at("error");
    E.at("file").get_to(F.Error.File);
    E.at("message").get_to(F.Error.Message);
    E.at("details").get_to(F.Error.Details);
    Out = std::move(F);
  } catch (const json::exception &Ex) {
    Error = std::string("malformed facts: ") + Ex.what();
    return false;
  }
  return true;
}

bool writeFactsFile(const std::string &Path, const TUFacts &F,
                    std::string &Error) {
  static std::atomic<unsigned> Counter{0};
  std::string Tmp = Path + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(Counter++);
  {
    std::ofstream OS(Tmp, std::ios::binary | std::ios::trunc);
    if (!OS) {
      Error = "cannot write facts file '" + Path + "'";
      return false;
    }
    OS << factsToJson(F);
    OS.flush();
    if (!OS) {
      Error = "cannot write facts file '" + Path + "' (disk full?)";
      std::remove(Tmp.c_str());
      return false;
    }
  }
  std::error_code EC;
  std::filesystem::rename(Tmp, Path, EC);
  if (EC) {
    Error = "cannot write facts file '" + Path + "': " + EC.message();
    std::remove(Tmp.c_str());
    return false;
  }
  return true;
}

bool readFactsFile(const std::string &Path, TUFacts &Out, std::string &Error) {
  std::ifstream IS(Path, std::ios::binary);
  if (!IS) {
    Error = "cannot read facts file '" + Path + "'";
    return false;
  }
  std::stringstream SS;
  SS << IS.rdbuf();
  if (!factsFromJson(SS.str(), Out, Error)) {
    Error = Path + ": " + Error;
    return false;
  }
  return true;
}

} // namespace tether
