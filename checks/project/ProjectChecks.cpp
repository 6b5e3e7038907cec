//===--- ProjectChecks.cpp - Findings that need the whole project ---------===//
//
// Three questions no single translation unit can answer, asked of the joined
// facts:
//
//   spawn-detached-thread / spawn-unjoined-thread
//       a local object of an inferred thread class is started and goes out
//       of scope unjoined (its destructor detaches, or terminates);
//   global-shared-mutable
//       a global is written on one thread and used on another with no common
//       lock, where the threads, the accesses or the wrappers that make them
//       concurrent are spread over several files;
//   supervision-escaping-exception
//       a thread entry calls, through functions defined in other files, a
//       function that throws, and nothing on the way catches it.
//
// Each reports only what the per-TU checks could not see: a global that a
// per-TU check already reported, or a finding at a place where one already
// stands, is left to that check.
//
//===----------------------------------------------------------------------===//

#include "ProjectModel.h"

#include <algorithm>
#include <deque>
#include <map>
#include <functional>
#include <optional>
#include <tuple>

namespace tether {

namespace {

SourcePos toPos(const FactPos &P) {
  SourcePos S;
  S.File = P.File;
  S.DisplayFile = P.DisplayFile;
  S.Line = P.Line;
  S.Column = P.Column;
  return S;
}

Note note(const FactPos &P, std::string Message) {
  Note N;
  N.Pos = toPos(P);
  N.Message = std::move(Message);
  N.SourceLine = P.SourceLine;
  return N;
}

Diagnostic finding(std::string Check, const FactPos &P, std::string Message,
                   std::string Context) {
  Diagnostic D;
  D.Check = std::move(Check);
  D.Pos = toPos(P);
  D.Message = std::move(Message);
  D.SourceLine = P.SourceLine;
  D.Context = std::move(Context);
  return D;
}

/// The finding's "fix: " note, at its own location, as CheckContext's
/// DiagBuilder::cure writes it.
void cure(Diagnostic &D, const std::string &Message) {
  Note N;
  N.Pos = D.Pos;
  N.Message = "fix: " + Message + " (docs/checks/" + D.Check + ".md#fix)";
  N.SourceLine = D.SourceLine;
  D.Notes.push_back(std::move(N));
}

std::string shortName(const std::string &Qualified) {
  auto P = Qualified.rfind("::");
  return P == std::string::npos ? Qualified : Qualified.substr(P + 2);
}

/// "thrdpool_task.routine" for a field's USR (c:@S@thrdpool_task@FI@routine;
/// C structs have no class facts to name them).
std::string fieldLabel(const std::string &USR) {
  auto F = USR.rfind("@FI@");
  if (F == std::string::npos)
    return USR;
  std::string Field = USR.substr(F + 4);
  auto S = USR.rfind('@', F - 1);
  std::string Record = S == std::string::npos ? "" : USR.substr(S + 1, F - S - 1);
  return Record.empty() ? Field : Record + "." + Field;
}

bool contains(const std::vector<std::string> &V, const std::string &S) {
  return std::find(V.begin(), V.end(), S) != V.end();
}

/// Where a body of code runs, across the project.
struct Context {
  std::string Label;       ///< "thread entry 'worker' (std::thread)"
  FactPos Start;           ///< where the thread is started
  bool Thread = false;
  bool Multi = false;
  /// Made concurrent by an inferred wrapper (a task handed to an inferred
  /// executor, an object of an inferred thread class): no per-TU check saw
  /// it.
  bool Inferred = false;
  std::vector<const FunctionFact *> Entries;
  /// The function that starts it.
  const FunctionFact *Starter = nullptr;
};

} // namespace

std::vector<Diagnostic>
ProjectModel::findings(const std::set<std::string> &Enabled,
                       bool StrictGlobals) const {
  std::vector<Diagnostic> Out;
  auto on = [&](const char *Check) { return Enabled.count(Check) != 0; };

  std::map<std::string, const InferredThreadType *> ThreadTypes;
  for (const InferredThreadType &T : Inferred.ThreadTypes)
    ThreadTypes[T.ClassUSR] = &T;
  std::map<std::string, const ExecutorRule *> ExecutorMethods; // method USR
  std::map<std::string, const FunctionFact *> ExecutorFacts;
  for (const ExecutorRule &R : Inferred.Executors)
    for (const auto &[USR, C] : Classes)
      if (C->Name == R.Class)
        for (const FunctionFact *M : methodsOf(USR))
          if (contains(R.Methods, shortName(M->Name))) {
            ExecutorMethods[M->USR] = &R;
            ExecutorFacts[M->USR] = M;
            // A call through the base class's virtual method.
            for (const std::string &O : M->Overrides) {
              ExecutorMethods.emplace(O, &R);
              ExecutorFacts.emplace(O, M);
            }
          }

  // Callable fields that code on some thread calls through (a C pool's
  // worker calling `entry->task.routine`): what is stored in them and
  // handed over runs on that thread.
  std::map<std::string, const FunctionFact *> FieldRunners;
  {
    std::vector<const FunctionFact *> Roots;
    for (const auto &[USR, F] : Functions)
      for (const SpawnFact &S : F->Spawns)
        for (const std::string &E : S.Entries)
          if (const FunctionFact *G = function(E))
            Roots.push_back(G);
    for (const FunctionFact *G : reach(Roots))
      for (const std::string &Fd : G->CallsThroughFields) {
        auto [It, New] = FieldRunners.try_emplace(Fd, G);
        if (!New && G->USR < It->second->USR)
          It->second = G; // one runner whatever the order
      }
  }
  // Is the callable of a hand-off run on another thread?
  auto handedToThread = [&](const HandoffFact &H) {
    return H.ViaField.empty() ? ExecutorMethods.count(H.Method) != 0
                              : FieldRunners.count(H.ViaField) != 0;
  };

  // --- Objects of inferred thread classes ---------------------------------
  if (on("spawn-detached-thread") || on("spawn-unjoined-thread")) {
    for (const auto &[USR, F] : Functions)
      for (const ObjectFact &O : F->Objects) {
        auto It = ThreadTypes.find(O.Class);
        if (It == ThreadTypes.end() || O.Escapes)
          continue;
        const InferredThreadType &T = *It->second;
        const ObjectFact::MethodUse *Started = nullptr, *Detached = nullptr;
        bool Joined = false;
        for (const ObjectFact::MethodUse &U : O.Calls) {
          if (contains(T.Start, U.Name) && !Started)
            Started = &U;
          if (contains(T.Rule.Detach, U.Name) && !Detached)
            Detached = &U;
          Joined |= contains(T.Rule.Join, U.Name);
        }
        bool StartsOnConstruction = T.Start.empty();
        if ((!Started && !StartsOnConstruction) || Joined)
          continue;
        std::string Type = shortName(T.Rule.Type);
        Diagnostic D;
        if (Detached) {
          if (!on("spawn-detached-thread"))
            continue;
          D = finding("spawn-detached-thread", Detached->Pos,
                      "'" + Detached->Name + "' leaves the thread of '" +
                          O.Var + "' unowned: nobody joins it or sees it fail",
                      F->Name);
        } else if (T.Rule.OnDestroy == OnDestroyJoinable::Detach) {
          if (!on("spawn-detached-thread"))
            continue;
          const FactPos &At = Started ? Started->Pos : O.Pos;
          D = finding("spawn-detached-thread", At,
                      "the thread of '" + O.Var + "' is left running when '" +
                          O.Var + "' goes out of scope: nobody joins it",
                      F->Name);
          if (!T.DtorName.empty())
            D.Notes.push_back(note(T.DtorPos, "'" + shortName(T.DtorName) +
                                                  "' detaches a running "
                                                  "thread"));
        } else if (T.Rule.OnDestroy == OnDestroyJoinable::Terminate) {
          if (!on("spawn-unjoined-thread"))
            continue;
          const FactPos &At = Started ? Started->Pos : O.Pos;
          D = finding("spawn-unjoined-thread", At,
                      "'" + O.Var + "' goes out of scope with its thread "
                                    "running: its destructor terminates the "
                                    "process",
                      F->Name);
        } else {
          continue; // the destructor joins
        }
        D.Notes.push_back(note(O.Pos, "'" + O.Var + "' is a " + Type +
                                          ", declared here"));
        D.Notes.push_back(note(T.StartPos,
                               "'" + Type +
                                   "' is inferred to be a thread class: it "
                                   "starts its thread here"));
        cure(D, "join it (" +
                    (T.Rule.Join.empty() ? std::string("no join method")
                                         : "'" + T.Rule.Join.front() + "'") +
                    ") before it goes out of scope, or start the work "
                    "under a tether::task_supervisor");
        Out.push_back(std::move(D));
      }
  }

  // --- Thread contexts across the project ---------------------------------
  std::vector<Context> Contexts(1);
  Contexts[0].Label = "main and other non-thread code";
  // Lambdas handed to an inferred executor run there, not where created.
  std::set<std::string> HandedOff;
  for (const auto &[USR, F] : Functions)
    for (const HandoffFact &H : F->Handoffs)
      if (handedToThread(H))
        for (const std::string &E : H.Entries)
          HandedOff.insert(E);
  auto entries = [&](const std::vector<std::string> &USRs) {
    std::vector<const FunctionFact *> V;
    for (const std::string &U : USRs)
      if (const FunctionFact *G = function(U))
        V.push_back(G);
    return V;
  };
  auto label = [](const std::vector<const FunctionFact *> &Es,
                  const std::string &How) {
    std::string N = Es.empty() ? std::string("?") : shortName(Es[0]->Name);
    if (N == "operator()")
      N = "lambda";
    return "thread entry '" + N + "' (" + How + ")";
  };
  // A function called from two places or from a loop may start its threads
  // several times.
  auto calledOften = [&](const FunctionFact &F) {
    auto Cs = callersOf(F);
    return Cs.size() > 1 ||
           std::any_of(Cs.begin(), Cs.end(),
                       [](const auto &C) { return C.second->InLoop; });
  };
  for (const auto &[USR, F] : Functions) {
    for (const SpawnFact &S : F->Spawns) {
      Context C;
      C.Thread = true;
      C.Entries = entries(S.Entries);
      C.Start = S.Pos;
      C.Starter = F;
      C.Label = label(C.Entries, S.Spawner);
      C.Multi = S.InLoop || calledOften(*F) ||
                S.Kind == SpawnFactKind::Executor;
      Contexts.push_back(std::move(C));
    }
    for (const HandoffFact &H : F->Handoffs) {
      if (!handedToThread(H))
        continue;
      Context C;
      C.Thread = true;
      C.Entries = entries(H.Entries);
      C.Start = H.Pos;
      C.Starter = F;
      if (H.ViaField.empty()) {
        auto It = ExecutorMethods.find(H.Method);
        C.Label = label(C.Entries,
                        It->second->Class + "::" +
                            shortName(ExecutorFacts.at(H.Method)->Name));
        C.Multi = H.InLoop || calledOften(*F);
      } else {
        C.Label = label(C.Entries,
                        "run by '" +
                            shortName(FieldRunners.at(H.ViaField)->Name) +
                            "' through '" + fieldLabel(H.ViaField) + "'");
        C.Multi = true; // a pool's workers, or a loop serving many
      }
      C.Inferred = true;
      Contexts.push_back(std::move(C));
    }
    for (const ObjectFact &O : F->Objects) {
      auto It = ThreadTypes.find(O.Class);
      if (It == ThreadTypes.end() || O.CtorEntries.empty())
        continue;
      Context C;
      C.Thread = true;
      C.Entries = entries(O.CtorEntries);
      C.Start = O.Pos;
      C.Starter = F;
      C.Label = label(C.Entries, It->second->Rule.Type);
      C.Multi = calledOften(*F);
      C.Inferred = true;
      Contexts.push_back(std::move(C));
    }
  }
  // Entries are not callees of the code that creates them.
  std::set<const FunctionFact *> EntrySet;
  for (const Context &C : Contexts)
    EntrySet.insert(C.Entries.begin(), C.Entries.end());
  for (const std::string &U : HandedOff)
    if (const FunctionFact *G = function(U))
      EntrySet.insert(G);
  // Calls in main before its first call that starts threads (directly or
  // through its callees) are ordered with every thread; so are functions
  // called only from such points.
  std::set<const FunctionFact *> Starting;
  {
    bool Changed = true;
    for (const auto &[USR, F] : Functions)
      if (!F->Spawns.empty())
        Starting.insert(F);
    for (const auto &[USR, F] : Functions)
      for (const HandoffFact &H : F->Handoffs)
        if (handedToThread(H))
          Starting.insert(F);
    for (const InferredThreadType &T : Inferred.ThreadTypes)
      for (const FunctionFact *M : methodsOf(T.ClassUSR))
        if (contains(T.Start, shortName(M->Name)) ||
            (T.Start.empty() && M->IsCtor))
          Starting.insert(M);
    while (Changed) {
      Changed = false;
      for (const auto &[USR, F] : Functions) {
        if (Starting.count(F))
          continue;
        for (const FunctionFact *G : callees(*F))
          if (Starting.count(G) && !EntrySet.count(G)) {
            Starting.insert(F);
            Changed = true;
            break;
          }
      }
    }
  }
  // The sequential spine: main, and every function called only from the
  // spine at or before the caller's first thread start (main -> init ->
  // init_io, which starts the I/O threads after init_queues). In such a
  // function, what comes before its own first start runs before any thread
  // of the program exists. FirstStart maps each to that first start.
  std::map<const FunctionFact *, unsigned> FirstStart;
  std::set<const FunctionFact *> PreThread;
  auto firstStartOf = [&](const FunctionFact &F) {
    unsigned First = ~0u;
    for (const CallFact &C : F.Calls)
      if (const FunctionFact *G = function(C.Callee))
        if (Starting.count(G))
          First = std::min(First, C.Seq);
    for (const HandoffFact &H : F.Handoffs)
      if (handedToThread(H))
        First = std::min(First, H.Seq);
    for (const SpawnFact &S : F.Spawns)
      First = std::min(First, S.Seq);
    return First;
  };
  for (const auto &[USR, F] : Functions)
    if (F->IsMain)
      FirstStart[F] = firstStartOf(*F);
  for (bool Changed = !FirstStart.empty(); Changed;) {
    Changed = false;
    for (const auto &[USR, F] : Functions) {
      if (FirstStart.count(F) || EntrySet.count(F))
        continue;
      auto Cs = callersOf(*F);
      if (Cs.empty())
        continue;
      bool OnSpine = std::all_of(Cs.begin(), Cs.end(), [&](const auto &C) {
        auto M = FirstStart.find(C.first);
        return M != FirstStart.end() && C.second->Seq <= M->second &&
               !C.second->InLoop;
      });
      if (OnSpine) {
        FirstStart[F] = firstStartOf(*F);
        Changed = true;
      }
    }
  }
  {
    bool Changed = true;
    while (Changed) {
      Changed = false;
      for (const auto &[USR, F] : Functions) {
        if (PreThread.count(F) || FirstStart.count(F) || Starting.count(F))
          continue;
        auto Cs = callersOf(*F);
        if (Cs.empty())
          continue;
        bool All = std::all_of(Cs.begin(), Cs.end(), [&](const auto &C) {
          auto M = FirstStart.find(C.first);
          if (M != FirstStart.end())
            return C.second->Seq < M->second;
          return PreThread.count(C.first) != 0;
        });
        if (All) {
          PreThread.insert(F);
          Changed = true;
        }
      }
    }
  }
  // What runs in a context: the roots and their callees, entries of other
  // contexts left out. Calls main makes before it starts any thread are
  // ordered with every thread: they do not make their callees concurrent.
  // Parent[I][G]: the caller through which context I first reached G
  // (breadth first, so the chain is a shortest one).
  std::vector<std::map<const FunctionFact *, const FunctionFact *>> Parent(
      Contexts.size());
  auto reachFrom = [&](std::vector<const FunctionFact *> Roots,
                       std::map<const FunctionFact *, const FunctionFact *>
                           &From) {
    std::set<const FunctionFact *> Seen;
    std::deque<const FunctionFact *> Work(Roots.begin(), Roots.end());
    std::set<const FunctionFact *> RootSet(Roots.begin(), Roots.end());
    while (!Work.empty()) {
      const FunctionFact *G = Work.front();
      Work.pop_front();
      if (!Seen.insert(G).second)
        continue;
      std::vector<const FunctionFact *> Next;
      auto First = FirstStart.find(G);
      if (First != FirstStart.end()) {
        std::set<std::string> Late;
        for (const CallFact &C : G->Calls)
          if (C.Seq >= First->second)
            Late.insert(C.Callee);
        for (const FunctionFact *H : callees(*G))
          if (Late.count(H->USR) ||
              std::any_of(H->Overrides.begin(), H->Overrides.end(),
                          [&](const std::string &O) { return Late.count(O); }))
            Next.push_back(H);
      } else {
        Next = callees(*G);
      }
      for (const FunctionFact *H : Next)
        if (!EntrySet.count(H) || RootSet.count(H)) {
          if (!Seen.count(H) && !RootSet.count(H))
            From.try_emplace(H, G);
          Work.push_back(H);
        }
    }
    return Seen;
  };
  // "main -> serve -> bump", shortened in the middle past eight names.
  auto chainTo = [&](unsigned Ctx, const FunctionFact *F) {
    std::vector<std::string> Names;
    for (const FunctionFact *G = F; G && Names.size() < 64;) {
      Names.push_back(shortName(G->Name));
      auto It = Parent[Ctx].find(G);
      G = It == Parent[Ctx].end() ? nullptr : It->second;
    }
    std::reverse(Names.begin(), Names.end());
    if (Names.size() > 8)
      Names.erase(Names.begin() + 4, Names.end() - 3),
          Names.insert(Names.begin() + 4, "...");
    std::string S;
    for (const std::string &N : Names)
      S += (S.empty() ? "" : " -> ") + N;
    return S;
  };
  std::map<const FunctionFact *, std::vector<unsigned>> InContexts;
  for (unsigned I = 1; I < Contexts.size(); ++I)
    for (const FunctionFact *G : reachFrom(Contexts[I].Entries, Parent[I]))
      InContexts[G].push_back(I);
  {
    // Other code: main, and every function nothing in the project calls.
    std::vector<const FunctionFact *> Roots;
    for (const auto &[USR, F] : Functions)
      if (F->IsMain || (callersOf(*F).empty() && !EntrySet.count(F)))
        Roots.push_back(F);
    for (const FunctionFact *G : reachFrom(Roots, Parent[0]))
      InContexts[G].push_back(0);
  }

  // --- thread_local values that do not reach their readers ---------------
  // A thread_local set in one function and read in another is a hidden
  // parameter (global-thread-local-parameter); the per-TU check sees it
  // when writer and reader are in one file. Here: the reader is reached
  // from the writer through calls, or from a function that calls the
  // writer (a setter) and later a function reaching the reader, or from a
  // task that function then hands to another thread, where the variable
  // has that thread's value.
  if (on("global-thread-local-parameter")) {
    // Callees a function really calls (not only names: a callback
    // registered here runs later, from somewhere else).
    auto called = [&](const FunctionFact &G) {
      std::set<std::string> Direct;
      for (const CallFact &C : G.Calls)
        if (!C.Named)
          Direct.insert(C.Callee);
      std::vector<const FunctionFact *> Out;
      for (const FunctionFact *H : callees(G))
        if (Direct.count(H->USR) ||
            std::any_of(H->Overrides.begin(), H->Overrides.end(),
                        [&](const std::string &O) { return Direct.count(O); }))
          Out.push_back(H);
      return Out;
    };
    // The shortest call chain From -> ... -> To, empty if none.
    auto pathTo = [&](const FunctionFact *From, const FunctionFact *To) {
      std::map<const FunctionFact *, const FunctionFact *> Prev;
      std::deque<const FunctionFact *> Work{From};
      std::set<const FunctionFact *> Seen{From};
      while (!Work.empty()) {
        const FunctionFact *G = Work.front();
        Work.pop_front();
        if (G == To) {
          std::vector<const FunctionFact *> Chain;
          for (const FunctionFact *H = To; H; ) {
            Chain.push_back(H);
            auto It = Prev.find(H);
            H = It == Prev.end() ? nullptr : It->second;
          }
          std::reverse(Chain.begin(), Chain.end());
          return Chain;
        }
        for (const FunctionFact *H : called(*G))
          if (!EntrySet.count(H) && Seen.insert(H).second) {
            // (a task created here runs elsewhere: not a call)
            Prev[H] = G;
            Work.push_back(H);
          }
      }
      return std::vector<const FunctionFact *>();
    };
    auto chainText = [](const std::vector<const FunctionFact *> &Chain) {
      std::string S;
      for (const FunctionFact *G : Chain)
        S += (S.empty() ? "" : " -> ") + shortName(G->Name);
      return S;
    };
    struct TLUse {
      const FunctionFact *F;
      const AccessFact *A;
    };
    std::map<std::string, std::vector<TLUse>> Writes, Reads;
    for (const auto &[USR, F] : Functions)
      for (const AccessFact &A : F->Accesses) {
        auto GIt = Globals.find(A.Var);
        if (GIt == Globals.end() || !GIt->second->ThreadLocal)
          continue;
        (A.Write ? Writes : Reads)[A.Var].push_back({F, &A});
      }
    for (const auto &[Var, Ws] : Writes) {
      auto RIt = Reads.find(Var);
      if (RIt == Reads.end() || ReportedGlobals.count(Var))
        continue;
      const GlobalFact &G = *Globals.at(Var);
      std::string Name = shortName(G.Name);
      bool Done = false;
      for (const TLUse &W : Ws) {
        for (const TLUse &R : RIt->second) {
          // A reader that also writes it keeps its own per-thread cache
          // (fills it when empty), as the per-TU check judges too.
          if (R.F == W.F ||
              std::any_of(Ws.begin(), Ws.end(),
                          [&](const TLUse &X) { return X.F == R.F; }))
            continue;
          // Which way the value travels: through calls from the writer, or
          // from a caller of the writer, later (on this thread or not).
          std::vector<const FunctionFact *> Chain = pathTo(W.F, R.F);
          const FunctionFact *Caller = nullptr;
          const FactPos *CallPos = nullptr, *HandPos = nullptr;
          if (Chain.empty()) {
            for (const auto &[C, Call] : callersOf(*W.F)) {
              for (const CallFact &Later : C->Calls)
                if (Later.Seq > Call->Seq && !Later.Named)
                  if (const FunctionFact *L = function(Later.Callee))
                    if (L != W.F && !EntrySet.count(L) &&
                        !(Chain = pathTo(L, R.F)).empty()) {
                      Caller = C;
                      CallPos = &Call->Pos;
                      break;
                    }
              // A task handed to another thread after the call.
              auto tryTask = [&](const std::vector<std::string> &Entries,
                                 unsigned Seq, const FactPos &At) {
                if (!Chain.empty() || Seq <= Call->Seq)
                  return;
                for (const std::string &E : Entries)
                  if (const FunctionFact *L = function(E))
                    if (!(Chain = pathTo(L, R.F)).empty()) {
                      Caller = C;
                      CallPos = &Call->Pos;
                      HandPos = &At;
                      return;
                    }
              };
              for (const HandoffFact &H : C->Handoffs)
                if (handedToThread(H))
                  tryTask(H.Entries, H.Seq, H.Pos);
              for (const SpawnFact &S : C->Spawns)
                tryTask(S.Entries, S.Seq, S.Pos);
              if (!Chain.empty())
                break;
            }
          }
          if (Chain.empty())
            continue;
          // One file holds it all: the per-TU check judged it.
          std::set<std::string> Files{W.A->Pos.File, R.A->Pos.File};
          for (const FunctionFact *G2 : Chain)
            Files.insert(G2->Pos.File);
          if (Caller)
            Files.insert(Caller->Pos.File);
          if (Files.size() < 2)
            continue;
          std::string Msg =
              HandPos
                  ? "'" + Name + "' is set here and read in '" +
                        shortName(R.F->Name) +
                        "' on another thread, where it has that thread's value"
              : Caller
                  ? "'" + Name + "' is set here and read in '" +
                        shortName(R.F->Name) + "', which '" +
                        shortName(Caller->Name) + "' calls after calling '" +
                        shortName(W.F->Name) + "': a hidden parameter"
                  : "'" + Name + "' is set here and read in '" +
                        shortName(R.F->Name) +
                        "', which this function calls: a hidden parameter";
          Diagnostic D = finding("global-thread-local-parameter", W.A->Pos,
                                 Msg, W.F->Name);
          D.Notes.push_back(
              note(G.Pos, "'" + Name + "' is declared here"));
          if (CallPos)
            D.Notes.push_back(note(*CallPos, "'" + shortName(W.F->Name) +
                                                 "' is called here"));
          if (HandPos)
            D.Notes.push_back(
                note(*HandPos, "the task that reads it is handed to another "
                               "thread here"));
          D.Notes.push_back(note(R.A->Pos, "read here, reached through " +
                                               chainText(Chain)));
          cure(D, "pass the value as an argument, or capture it into the "
                  "task: a thread_local does not follow the work to "
                  "another thread");
          Out.push_back(std::move(D));
          Done = true;
          break;
        }
        if (Done)
          break;
      }
    }
  }

  // --- Escaping exceptions across files -----------------------------------
  if (on("supervision-escaping-exception")) {
    // May an exception leave F? The throw the per-TU analysis saw in its
    // body, or an uncaught call of a function that may throw, transitively.
    std::map<const FunctionFact *, std::vector<const FunctionFact *>> Chain;
    std::map<const FunctionFact *, int> State; // 0 unknown, 1 busy, 2 done
    std::function<bool(const FunctionFact *)> mayThrow =
        [&](const FunctionFact *F) -> bool {
      int &S = State[F];
      if (S == 1)
        return false; // recursion: judged by its other paths
      if (S == 2)
        return Chain.count(F) != 0;
      S = 1;
      if (F->HasThrow) {
        Chain[F] = {F};
      } else {
        for (const CallFact &C : F->Calls) {
          if (C.Caught)
            continue;
          const FunctionFact *G = function(C.Callee);
          if (!G || G->NoThrow || G == F)
            continue;
          if (mayThrow(G)) {
            std::vector<const FunctionFact *> V{F};
            const auto &Rest = Chain[G];
            V.insert(V.end(), Rest.begin(), Rest.end());
            Chain[F] = std::move(V);
            break;
          }
        }
      }
      State[F] = 2;
      return Chain.count(F) != 0;
    };
    for (unsigned I = 1; I < Contexts.size(); ++I) {
      const Context &C = Contexts[I];
      for (const FunctionFact *E : C.Entries) {
        // Only what the per-TU analysis could not follow: its own throw
        // would have been reported there.
        if (E->HasThrow || E->NoThrow || !mayThrow(E))
          continue;
        const std::vector<const FunctionFact *> &Ch = Chain[E];
        const FunctionFact *Thrower = Ch.back();
        // Is the chain spread over files? If all of it is in the entry's
        // file, the per-TU check saw it.
        bool OtherFile = std::any_of(Ch.begin(), Ch.end(), [&](auto *G) {
          return G->Pos.File != E->Pos.File;
        });
        if (!OtherFile)
          continue;
        std::string Path;
        for (const FunctionFact *G : Ch)
          Path += (Path.empty() ? "" : " -> ") + shortName(G->Name);
        Diagnostic D = finding(
            "supervision-escaping-exception", C.Start,
            "an exception from '" + shortName(Thrower->Name) +
                "' can escape " + C.Label + " and terminate the process",
            "");
        D.Notes.push_back(note(Thrower->Throw.Pos, Thrower->Throw.What));
        D.Notes.push_back(note(E->Pos, "the entry reaches it through " + Path +
                                           ", with no handler on the way"));
        cure(D, "catch and report it in the entry, or run the work as a "
                "supervised child that the supervisor restarts");
        Out.push_back(std::move(D));
        break;
      }
    }
  }

  // --- Globals raced across files -----------------------------------------
  if (on("global-shared-mutable")) {
    auto ordered = [&](const FunctionFact *F, const AccessFact &A) {
      if (PreThread.count(F))
        return true;
      auto M = FirstStart.find(F);
      return M != FirstStart.end() && A.Seq < M->second;
    };
    // The locks held at an access: the known ones, and guards of inferred
    // lock types.
    std::set<std::string> LockClasses;
    for (const LockTypeRule &R : Inferred.LockTypes)
      for (const auto &[USR, C] : Classes)
        if (C->Name == R.Type)
          LockClasses.insert(USR);
    auto heldBy = [&](const std::vector<std::string> &Locks,
                      const std::vector<GuardFact> &Guards) {
      std::set<std::string> L(Locks.begin(), Locks.end());
      for (const GuardFact &G : Guards)
        if (LockClasses.count(G.Class))
          L.insert(G.Target);
      return L;
    };
    // Locks every caller holds around every call of a function, in any
    // file (a helper that documents "the caller holds mu_"): the meet over
    // its call sites of the caller's own entry locks and the locks at the
    // call. Thread entries, and functions nothing calls, start with none.
    std::map<const FunctionFact *, std::set<std::string>> EntryLocks;
    {
      std::map<const FunctionFact *, bool> Top; // not computed yet: all
      for (const auto &[USR, F] : Functions)
        if (!EntrySet.count(F) && !callersOf(*F).empty())
          Top[F] = true;
      for (bool Changed = true; Changed;) {
        Changed = false;
        for (const auto &[USR, F] : Functions) {
          if (EntrySet.count(F))
            continue;
          auto Cs = callersOf(*F);
          if (Cs.empty())
            continue;
          std::set<std::string> Meet;
          bool First = true;
          for (const auto &[Caller, Call] : Cs) {
            if (Top.count(Caller) && Top[Caller])
              continue; // unknown yet: does not constrain the meet
            std::set<std::string> Here = heldBy(Call->Locks, Call->Guards);
            const auto &CallerHeld = EntryLocks[Caller];
            Here.insert(CallerHeld.begin(), CallerHeld.end());
            if (First) {
              Meet = std::move(Here);
              First = false;
            } else {
              std::set<std::string> Both;
              for (const std::string &L : Meet)
                if (Here.count(L))
                  Both.insert(L);
              Meet = std::move(Both);
            }
          }
          if (First)
            continue; // every caller still unknown
          if (Top[F] || Meet != EntryLocks[F]) {
            Top[F] = false;
            EntryLocks[F] = std::move(Meet);
            Changed = true;
          }
        }
      }
    }
    auto locksOf = [&](const AccessFact &A,
                       const FunctionFact *In = nullptr) {
      std::set<std::string> L = heldBy(A.Locks, A.Guards);
      if (In)
        if (auto It = EntryLocks.find(In); It != EntryLocks.end())
          L.insert(It->second.begin(), It->second.end());
      return L;
    };
    // Classes that synchronize themselves: inferred mutexes, atomic
    // wrappers, and classes that hold a mutex of a known or inferred type
    // (a cache guarding its map with a port::RWMutex).
    std::set<std::string> SafeClasses, MutexClasses;
    for (const MutexTypeRule &R : Inferred.MutexTypes)
      for (const auto &[USR, C] : Classes)
        if (C->Name == R.Type)
          MutexClasses.insert(USR);
    SafeClasses = MutexClasses;
    for (const SynchronizedTypeRule &R : Inferred.SynchronizedTypes)
      for (const auto &[USR, C] : Classes)
        if (C->Name == R.Type)
          SafeClasses.insert(USR);
    for (const auto &[USR, C] : Classes)
      for (const FieldFact &F : C->Fields)
        if (F.Kind == FieldKind::Mutex ||
            (F.Kind == FieldKind::Object && MutexClasses.count(F.Class)))
          SafeClasses.insert(USR);

    struct Use {
      const FunctionFact *F;
      const AccessFact *A;
      unsigned Ctx;
    };
    std::map<std::string, std::vector<Use>> ByVar;
    for (const auto &[USR, F] : Functions) {
      auto CIt = InContexts.find(F);
      if (CIt == InContexts.end())
        continue;
      for (const AccessFact &A : F->Accesses) {
        if (ordered(F, A))
          continue;
        for (unsigned C : CIt->second)
          ByVar[A.Var].push_back({F, &A, C});
      }
    }
    // Is the evidence of a pair spread over files, or due to an inferred
    // wrapper? Otherwise one translation unit held all of it.
    auto needsProject = [&](const Use &A, const Use &B) {
      std::set<std::string> Files{A.A->Pos.File, B.A->Pos.File,
                                  A.F->Pos.File, B.F->Pos.File};
      for (const Use *U : {&A, &B}) {
        const Context &C = Contexts[U->Ctx];
        if (C.Inferred)
          return true;
        for (const GuardFact &G : U->A->Guards)
          if (LockClasses.count(G.Class))
            return true;
        if (C.Thread) {
          Files.insert(C.Start.File);
          for (const FunctionFact *E : C.Entries)
            Files.insert(E->Pos.File);
        }
      }
      return Files.size() > 1;
    };
    for (auto &[Var, Uses] : ByVar) {
      if (ReportedGlobals.count(Var))
        continue;
      auto GIt = Globals.find(Var);
      if (GIt == Globals.end())
        continue;
      const GlobalFact &G = *GIt->second;
      if (G.ThreadLocal || G.Synchronized || SafeClasses.count(G.Class))
        continue;
      // Does the program treat the global as shared somewhere (a lock or an
      // atomic operation at one of its accesses)? Then a race with an
      // unsynchronized access is inconsistent synchronization, the
      // strongest evidence (as RacerD and Eraser use it).
      bool SyncedSomewhere = std::any_of(Uses.begin(), Uses.end(), [&](auto &U) {
        return U.A->Atomic || !locksOf(*U.A, U.F).empty();
      });
      // Otherwise, the thread must reach the access through a short chain:
      // the reach is path-insensitive, and a long chain through the
      // project's call graph (an I/O thread reaching a command handler
      // through a branch it never takes) is more often a guess than a race.
      auto depth = [&](const Use &U) {
        unsigned D = 0;
        for (const FunctionFact *F = U.F; D < 64; ++D) {
          auto It = Parent[U.Ctx].find(F);
          if (It == Parent[U.Ctx].end())
            break;
          F = It->second;
        }
        return D;
      };
      auto nearThread = [&](const Use &U) {
        return !Contexts[U.Ctx].Thread || depth(U) <= MaxRaceDepth;
      };
      bool Evidence = StrictGlobals || SyncedSomewhere;
      // The first write (in file order) racing with another access.
      const Use *W = nullptr, *X = nullptr;
      for (const Use &A : Uses) {
        if (!A.A->Write || A.A->Atomic || W)
          continue;
        for (const Use &B : Uses) {
          if (B.A->Atomic)
            continue;
          bool Differ = A.Ctx != B.Ctx;
          if (!Differ && !Contexts[A.Ctx].Multi)
            continue;
          if (!Contexts[A.Ctx].Thread && !Contexts[B.Ctx].Thread)
            continue;
          // Set up before the function starts the thread that reads it.
          auto setUpBefore = [&](const Use &N, const Use &T) {
            return !Contexts[N.Ctx].Thread && Contexts[T.Ctx].Thread &&
                   Contexts[T.Ctx].Starter == N.F && N.A->BeforeStarts;
          };
          if (setUpBefore(A, B) || setUpBefore(B, A))
            continue;
          // Different members of a struct are different memory
          // locations (adjacent bit-fields and union members share one).
          const auto &PA = A.A->Path, &PB = B.A->Path;
          if (!std::equal(PA.begin(),
                          PA.begin() + std::min(PA.size(), PB.size()),
                          PB.begin()))
            continue;
          std::set<std::string> LA = locksOf(*A.A, A.F),
                                LB = locksOf(*B.A, B.F);
          bool Common = std::any_of(LA.begin(), LA.end(), [&](auto &L) {
            return LB.count(L) != 0;
          });
          if (Common)
            continue;
          // Seen whole by one translation unit with the built-in rules:
          // the per-TU check judged it (and reported it, or had a reason
          // not to).
          if (!needsProject(A, B))
            continue;
          if (!Evidence && (!nearThread(A) || !nearThread(B)))
            continue;
          W = &A;
          X = &B;
          if (Differ)
            break;
        }
      }
      if (!W)
        continue;
      // The member both accesses touch: the shorter path.
      std::string Name = shortName(G.Name) +
                         (W->A->Path.size() <= X->A->Path.size()
                              ? W->A->Member
                              : X->A->Member);
      const Context &CW = Contexts[W->Ctx];
      std::string Msg =
          W->Ctx == X->Ctx
              ? "'" + Name + "' is written on every thread running " +
                    CW.Label.substr(CW.Label.find('\'')) + " with no lock"
              : "'" + Name + "' is written here and " +
                    (X->A->Write ? "written" : "read") +
                    " on another thread with no common lock";
      Diagnostic D = finding("global-shared-mutable", W->A->Pos, Msg,
                             W->F->Name);
      D.Notes.push_back(
          note(G.Pos, "'" + shortName(G.Name) + "' is declared here"));
      if (X->A != W->A)
        D.Notes.push_back(note(X->A->Pos,
                               std::string("the conflicting ") +
                                   (X->A->Write ? "write" : "read") +
                                   " is here, in '" + shortName(X->F->Name) +
                                   "'"));
      auto ctxNote = [&](unsigned I, const FunctionFact *F) {
        const Context &C = Contexts[I];
        std::string Chain = chainTo(I, F);
        std::string Through =
            Chain.find(" -> ") == std::string::npos ? "" : " through " + Chain;
        if (C.Thread)
          D.Notes.push_back(note(C.Start, C.Label + " is started here; it "
                                                    "reaches '" +
                                              shortName(F->Name) + "'" +
                                              Through));
        else
          D.Notes.push_back(note(F->Pos, "'" + shortName(F->Name) +
                                             "' runs in " + C.Label +
                                             Through));
      };
      ctxNote(W->Ctx, W->F);
      if (X->Ctx != W->Ctx)
        ctxNote(X->Ctx, X->F);
      cure(D, "give the state one owner, a tether::server that holds it "
              "and answers calls, or guard every access with one mutex");
      Out.push_back(std::move(D));
    }
  }

  // --- Captures that can dangle, through inferred executors ---------------
  // The per-TU check sees the executors of the rule packs and of the name
  // heuristic; a task handed to a project method inferred to queue it for
  // another thread is judged here, with the same exemptions: an executor
  // that is a local or a by-value member (it ends, and drops or runs its
  // work, before what the task captured), and work the caller waits for.
  if (on("send-dangling-capture")) {
    for (const auto &[USR, F] : Functions)
      for (const HandoffFact &H : F->Handoffs) {
        auto It = ExecutorFacts.find(H.Method);
        if (It == ExecutorFacts.end() || !H.ViaField.empty() || H.Bounded ||
            H.Awaited ||
            (H.RefLocals.empty() && !H.CapturesThis))
          continue;
        // The hand-off and the executor in one file: the per-TU check
        // judged it, with what it knows of that file (an unsubscribing
        // destructor, say).
        if (It->second->Pos.File == H.Pos.File)
          continue;
        const ExecutorRule &R = *ExecutorMethods.at(H.Method);
        std::string Exec =
            "'" + shortName(R.Class) + "::" + shortName(It->second->Name) + "'";
        Diagnostic D;
        if (!H.RefLocals.empty()) {
          D = finding("send-dangling-capture", H.Pos,
                      "'" + H.RefLocals.front() +
                          "' is captured by reference into a task queued on " +
                          Exec + "; it dies when '" + shortName(F->Name) +
                          "' returns",
                      F->Name);
        } else {
          D = finding("send-dangling-capture", H.Pos,
                      "'this' is captured by a task queued on " + Exec +
                          ", which may run after the object is destroyed",
                      F->Name);
        }
        D.Notes.push_back(note(It->second->Pos,
                               Exec + " is inferred to queue the task for "
                                      "another thread: " +
                                   R.Why.substr(R.Why.find(':') + 2)));
        cure(D, H.RefLocals.empty()
                    ? "capture what the task needs by value or through a "
                      "shared_ptr, or start it on a tether::task_supervisor "
                      "member declared last"
                    : "capture '" + H.RefLocals.front() +
                          "' by value (move it in), or wait for the task "
                          "before returning");
        Out.push_back(std::move(D));
      }
  }

  // Leave to the per-TU checks what they reported already.
  std::set<std::tuple<std::string, std::string, unsigned>> Seen;
  for (const TUFacts &TU : TUs)
    for (const Diagnostic &D : TU.Diagnostics)
      Seen.insert({D.Check, D.Pos.File, D.Pos.Line});
  Out.erase(std::remove_if(Out.begin(), Out.end(),
                           [&](const Diagnostic &D) {
                             return Seen.count(
                                 {D.Check, D.Pos.File, D.Pos.Line}) != 0;
                           }),
            Out.end());
  return Out;
}

} // namespace tether
