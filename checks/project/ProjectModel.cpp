//===--- ProjectModel.cpp - Join of the per-TU facts; inferred wrappers ---===//

#include "ProjectModel.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <filesystem>

namespace tether {

namespace {

std::string shortName(const std::string &Qualified) {
  auto P = Qualified.rfind("::");
  return P == std::string::npos ? Qualified : Qualified.substr(P + 2);
}

/// "src/base/thread.cpp:18": relative to the working directory when below
/// it, so that a dumped pack reads the same on every machine.
std::string where(const FactPos &P) {
  std::error_code EC;
  std::string Cwd = std::filesystem::current_path(EC).string();
  std::string File = P.File.empty() ? P.DisplayFile : P.File;
  if (!EC && !Cwd.empty() && File.rfind(Cwd + "/", 0) == 0)
    File = File.substr(Cwd.size() + 1);
  return File + ":" + std::to_string(P.Line);
}

void addUnique(std::vector<std::string> &V, const std::string &S) {
  if (std::find(V.begin(), V.end(), S) == V.end())
    V.push_back(S);
}

} // namespace

ProjectModel::ProjectModel(std::vector<TUFacts> In, const RuleSet &Known)
    : TUs(std::move(In)) {
  // A fixed order whatever -j and whatever order the units finished in.
  std::stable_sort(TUs.begin(), TUs.end(),
                   [](const TUFacts &A, const TUFacts &B) {
                     return A.MainFile < B.MainFile;
                   });
  index();
  infer(Known);
}

void ProjectModel::index() {
  // A header's inline functions and classes appear in every unit that
  // includes it; the first unit (in file order) speaks for them. A function
  // declared in one unit and defined in another is kept from the unit with
  // its body (only bodies are recorded).
  for (const TUFacts &TU : TUs) {
    for (const FunctionFact &F : TU.Functions)
      Functions.emplace(F.USR, &F);
    for (const ClassFact &C : TU.Classes)
      if (Classes.emplace(C.USR, &C).second)
        for (const FieldFact &Fd : C.Fields)
          Fields.emplace(Fd.USR, std::make_pair(&C, &Fd));
    for (const GlobalFact &G : TU.Globals)
      Globals.emplace(G.USR, &G);
    for (const std::string &G : TU.ReportedGlobals)
      ReportedGlobals.insert(G);
  }
  for (const auto &[USR, F] : Functions) {
    if (!F->Class.empty())
      Methods[F->Class].push_back(F);
    for (const std::string &O : F->Overrides)
      OverriddenBy[O].push_back(USR);
  }
  for (const auto &[USR, F] : Functions)
    for (const CallFact &C : F->Calls) {
      Callers[C.Callee].push_back({F, &C});
      auto It = OverriddenBy.find(C.Callee);
      if (It == OverriddenBy.end())
        continue;
      std::deque<std::string> Work(It->second.begin(), It->second.end());
      std::set<std::string> Seen;
      while (!Work.empty()) {
        std::string O = Work.front();
        Work.pop_front();
        if (!Seen.insert(O).second)
          continue;
        Callers[O].push_back({F, &C});
        auto J = OverriddenBy.find(O);
        if (J != OverriddenBy.end())
          Work.insert(Work.end(), J->second.begin(), J->second.end());
      }
    }
}

const FunctionFact *ProjectModel::function(const std::string &USR) const {
  auto It = Functions.find(USR);
  return It == Functions.end() ? nullptr : It->second;
}

const ClassFact *ProjectModel::cls(const std::string &USR) const {
  auto It = Classes.find(USR);
  return It == Classes.end() ? nullptr : It->second;
}

const FieldFact *ProjectModel::field(const std::string &USR,
                                     const ClassFact **Owner) const {
  auto It = Fields.find(USR);
  if (It == Fields.end())
    return nullptr;
  if (Owner)
    *Owner = It->second.first;
  return It->second.second;
}

const std::vector<const FunctionFact *> &
ProjectModel::methodsOf(const std::string &ClassUSR) const {
  static const std::vector<const FunctionFact *> None;
  auto It = Methods.find(ClassUSR);
  return It == Methods.end() ? None : It->second;
}

std::vector<const FunctionFact *>
ProjectModel::callees(const FunctionFact &F) const {
  std::vector<const FunctionFact *> Out;
  std::set<std::string> Seen;
  std::deque<std::string> Work;
  for (const CallFact &C : F.Calls)
    Work.push_back(C.Callee);
  while (!Work.empty()) {
    std::string U = Work.front();
    Work.pop_front();
    if (!Seen.insert(U).second)
      continue;
    if (const FunctionFact *G = function(U))
      Out.push_back(G);
    auto It = OverriddenBy.find(U);
    if (It != OverriddenBy.end())
      Work.insert(Work.end(), It->second.begin(), It->second.end());
  }
  return Out;
}

std::set<const FunctionFact *>
ProjectModel::reach(const std::vector<const FunctionFact *> &Roots) const {
  std::set<const FunctionFact *> Seen;
  std::deque<const FunctionFact *> Work(Roots.begin(), Roots.end());
  while (!Work.empty()) {
    const FunctionFact *F = Work.front();
    Work.pop_front();
    if (!F || !Seen.insert(F).second)
      continue;
    for (const FunctionFact *G : callees(*F))
      Work.push_back(G);
  }
  return Seen;
}

std::vector<std::pair<const FunctionFact *, const CallFact *>>
ProjectModel::callersOf(const FunctionFact &F) const {
  auto It = Callers.find(F.USR);
  if (It == Callers.end())
    return {};
  return It->second;
}

bool ProjectModel::derivesFrom(const std::string &ClassUSR,
                               const std::string &BaseUSR) const {
  std::deque<std::string> Work{ClassUSR};
  std::set<std::string> Seen;
  while (!Work.empty()) {
    std::string C = Work.front();
    Work.pop_front();
    if (C == BaseUSR)
      return true;
    if (!Seen.insert(C).second)
      continue;
    if (const ClassFact *CF = cls(C))
      Work.insert(Work.end(), CF->Bases.begin(), CF->Bases.end());
  }
  return false;
}

// --- Wrapper inference -----------------------------------------------------
//
// Each kind of wrapper is recognized by what its methods do, never by its
// name:
//   thread type   a method starts a thread whose handle it keeps in a field,
//                 and that thread runs the callable the object was given (a
//                 callable field it invokes) or a virtual method of the class
//   executor      a method stores a callable parameter into a field (a queue
//                 of callables, or one callback) that code running on a
//                 thread later invokes
//   mutex type    methods that lock and methods that unlock a mutex field
//   lock type     a constructor that locks a mutex it refers to (directly, or
//                 through an inferred mutex type's lock method) and a
//                 destructor that unlocks it
//   condition     methods that wait on and methods that notify a condition
//   variable      variable field

void ProjectModel::infer(const RuleSet &Known) {
  auto known = [&Known](const std::string &Name) {
    return Known.threadType(Name) || Known.mutexType(Name) ||
           Known.lockType(Name) || Known.conditionVariable(Name) ||
           std::any_of(Known.Executors.begin(), Known.Executors.end(),
                       [&](const ExecutorRule &R) {
                         return qualifiedNameMatches(R.Class, Name);
                       });
  };
  // Methods of a class that reach one of `Seeds` through calls to other
  // methods of the same class (a public start() calling startThread()).
  auto closeOverClass = [this](const std::string &ClassUSR,
                               std::set<std::string> Seeds) {
    bool Changed = true;
    while (Changed) {
      Changed = false;
      for (const FunctionFact *M : methodsOf(ClassUSR)) {
        if (Seeds.count(M->USR) || M->IsDtor)
          continue;
        for (const CallFact &C : M->Calls)
          if (Seeds.count(C.Callee)) {
            Seeds.insert(M->USR);
            Changed = true;
            break;
          }
      }
    }
    return Seeds;
  };
  auto namesOf = [this](const std::set<std::string> &USRs) {
    std::vector<std::string> Out;
    for (const std::string &U : USRs)
      if (const FunctionFact *F = function(U))
        addUnique(Out, shortName(F->Name));
    std::sort(Out.begin(), Out.end());
    return Out;
  };
  // Does the destructor of `ClassUSR` (or what it calls in its class) do
  // `Op` to `Field`? Returns the method that does.
  auto dtorDoes = [this](const std::string &ClassUSR, const std::string &Op,
                         const std::set<std::string> &OpMethods)
      -> const FunctionFact * {
    for (const FunctionFact *M : methodsOf(ClassUSR)) {
      if (!M->IsDtor)
        continue;
      for (const CallFact &C : M->Calls)
        if (OpMethods.count(C.Callee))
          return M;
      for (const HandleOpFact &H : M->HandleOps)
        if (H.Op == Op)
          return M;
    }
    return nullptr;
  };

  // Functions that run on some thread: reached from a spawn's entries.
  std::vector<const FunctionFact *> ThreadRoots;
  for (const auto &[USR, F] : Functions)
    for (const SpawnFact &S : F->Spawns)
      for (const std::string &E : S.Entries)
        ThreadRoots.push_back(function(E));
  std::set<const FunctionFact *> OnThreads = reach(ThreadRoots);

  for (const auto &[ClassUSR, C] : Classes) {
    if (known(C->Name))
      continue;
    const auto &Ms = methodsOf(ClassUSR);

    // Thread types.
    for (const FunctionFact *M : Ms) {
      for (const SpawnFact &S : M->Spawns) {
        const ClassFact *Owner = nullptr;
        const FieldFact *Handle =
            S.HandleField.empty() ? nullptr : field(S.HandleField, &Owner);
        if (!Handle || !Owner || !derivesFrom(ClassUSR, Owner->USR))
          continue;
        // What the thread runs: a callable field of the class, or one of
        // its virtual methods.
        std::vector<const FunctionFact *> Roots;
        for (const std::string &E : S.Entries)
          Roots.push_back(function(E));
        std::string CallableField;
        bool Virtual = false;
        for (const FunctionFact *F : reach(Roots)) {
          for (const std::string &I : F->Invokes) {
            const ClassFact *IOwner = nullptr;
            const FieldFact *IF = field(I, &IOwner);
            if (IF && IF->Kind == FieldKind::Callable && IOwner &&
                derivesFrom(ClassUSR, IOwner->USR))
              CallableField = I;
          }
          for (const CallFact &Call : F->Calls)
            if (const FunctionFact *Callee = function(Call.Callee))
              if (Callee->Virtual && derivesFrom(ClassUSR, Callee->Class))
                Virtual = true;
          if (!F->VirtualSelfCalls.empty() && F->Class == ClassUSR)
            Virtual = true;
        }
        if (CallableField.empty() && !Virtual)
          continue; // a class that runs its own fixed loop: not a wrapper
        InferredThreadType T;
        T.ClassUSR = ClassUSR;
        T.Rule.Type = C->Name;
        T.Rule.Pack = "inferred";
        T.StartPos = S.Pos;
        T.Rule.EntryArg = -1;
        if (!CallableField.empty())
          for (const FunctionFact *Ctor : Ms)
            if (Ctor->IsCtor)
              for (const StoreFact &St : Ctor->Stores)
                if (St.Field == CallableField)
                  T.Rule.EntryArg = static_cast<int>(St.Param);
        std::set<std::string> Start{M->USR};
        if (!M->IsCtor) {
          Start = closeOverClass(ClassUSR, Start);
          for (const std::string &U : Start)
            if (const FunctionFact *F = function(U); F && !F->IsCtor)
              T.Start.push_back(shortName(F->Name));
          std::sort(T.Start.begin(), T.Start.end());
        }
        std::set<std::string> Joins, Detaches;
        for (const FunctionFact *F : Ms)
          for (const HandleOpFact &H : F->HandleOps)
            if (H.Field == S.HandleField && !F->IsDtor)
              (H.Op == "join" ? Joins : Detaches).insert(F->USR);
        Joins = closeOverClass(ClassUSR, Joins);
        Detaches = closeOverClass(ClassUSR, Detaches);
        T.Rule.Join = namesOf(Joins);
        T.Rule.Detach = namesOf(Detaches);
        const FunctionFact *Dtor = nullptr;
        if ((Dtor = dtorDoes(ClassUSR, "join", Joins))) {
          T.Rule.OnDestroy = OnDestroyJoinable::Join;
        } else if ((Dtor = dtorDoes(ClassUSR, "detach", Detaches))) {
          T.Rule.OnDestroy = OnDestroyJoinable::Detach;
        } else {
          // Neither: a std::thread member terminates the process, a
          // pthread_t handle is simply lost with its thread running.
          const ThreadTypeRule *R = Known.threadType(Handle->Type);
          T.Rule.OnDestroy =
              R ? R->OnDestroy : OnDestroyJoinable::Detach;
        }
        if (Dtor) {
          T.DtorPos = Dtor->Pos;
          T.DtorName = Dtor->Name;
        }
        std::string Runs =
            CallableField.empty()
                ? "a virtual method of the class"
                : "the callable kept in '" +
                      (field(CallableField) ? field(CallableField)->Name
                                            : std::string("?")) +
                      "'";
        std::string Fate =
            T.Rule.OnDestroy == OnDestroyJoinable::Join
                ? "; '" + shortName(T.DtorName) + "' (" + where(T.DtorPos) +
                      ") joins it"
            : Dtor ? "; '" + shortName(T.DtorName) + "' (" +
                         where(T.DtorPos) + ") detaches it"
            : T.Rule.OnDestroy == OnDestroyJoinable::Terminate
                ? "; the destructor neither joins nor detaches it (the "
                  "handle's destructor terminates the process)"
                : "; the destructor neither joins nor detaches it (the "
                  "thread runs on, unjoined)";
        T.Rule.Why = "inferred: '" + shortName(M->Name) + "' (" +
                     where(S.Pos) + ") starts a thread (" + S.Spawner +
                     ") kept in '" + Handle->Name + "' that runs " + Runs +
                     Fate;
        Inferred.ThreadTypes.push_back(std::move(T));
        goto NextClass; // one thread rule per class
      }
    }
  NextClass:;

    // Executors: a callable parameter stored into a field that code on a
    // thread invokes.
    {
      ExecutorRule E;
      std::string Evidence;
      bool IsThreadType = !Inferred.ThreadTypes.empty() &&
                          Inferred.ThreadTypes.back().ClassUSR == ClassUSR;
      for (const FunctionFact *M : Ms) {
        if (M->IsCtor || M->IsDtor)
          continue;
        for (const StoreFact &St : M->Stores) {
          const ClassFact *Owner = nullptr;
          const FieldFact *Fd = field(St.Field, &Owner);
          if (!Fd || !Owner || !derivesFrom(ClassUSR, Owner->USR))
            continue;
          if (Fd->Kind != FieldKind::CallableQueue &&
              !(Fd->Kind == FieldKind::Callable && !IsThreadType))
            continue;
          const FunctionFact *Runner = nullptr;
          for (const FunctionFact *F : OnThreads)
            if (std::find(F->Invokes.begin(), F->Invokes.end(), St.Field) !=
                F->Invokes.end())
              if (!Runner || F->USR < Runner->USR)
                Runner = F;
          if (!Runner)
            continue;
          E.Methods.push_back(shortName(M->Name));
          E.EntryArg = static_cast<int>(St.Param);
          if (Evidence.empty())
            Evidence = "inferred: '" + shortName(M->Name) + "' (" +
                       where(M->Pos) + ") stores the callable in '" +
                       Fd->Name + "', which '" + shortName(Runner->Name) +
                       "' (" + where(Runner->Pos) +
                       ") runs on another thread";
        }
      }
      if (!E.Methods.empty()) {
        std::sort(E.Methods.begin(), E.Methods.end());
        E.Methods.erase(std::unique(E.Methods.begin(), E.Methods.end()),
                        E.Methods.end());
        E.Class = C->Name;
        E.Why = Evidence;
        E.Pack = "inferred";
        Inferred.Executors.push_back(std::move(E));
      }
    }

    // Condition variables: wait and notify methods on a condvar field, in
    // a class that holds nothing else than the condition variable and its
    // mutex (a class that waits for its own state, a blocking queue or a
    // pool, is not a condition variable).
    bool OnlySync =
        C->OtherFields == 0 &&
        std::all_of(C->Fields.begin(), C->Fields.end(), [](const FieldFact &F) {
          return F.Kind == FieldKind::CondVar || F.Kind == FieldKind::Mutex ||
                 F.Kind == FieldKind::MutexRef ||
                 F.Kind == FieldKind::ObjectRef ||
                 F.Kind == FieldKind::Atomic;
        });
    if (OnlySync) {
      ConditionVariableRule R;
      std::string Evidence;
      for (const FunctionFact *M : Ms) {
        if (M->IsCtor || M->IsDtor)
          continue;
        for (const SyncOpFact &Op : M->SyncOps) {
          const FieldFact *Fd = field(Op.Target);
          if (!Fd || Fd->Kind != FieldKind::CondVar)
            continue;
          if (Op.Op == "wait") {
            R.Wait.push_back({shortName(M->Name), M->NumParams});
            if (Evidence.empty())
              Evidence = "inferred: '" + shortName(M->Name) + "' (" +
                         where(M->Pos) + ") waits on '" + Fd->Name + "'";
          } else if (Op.Op == "notify") {
            addUnique(R.Notify, shortName(M->Name));
          }
        }
      }
      if (!R.Wait.empty() && !R.Notify.empty()) {
        std::sort(R.Wait.begin(), R.Wait.end());
        R.Wait.erase(std::unique(R.Wait.begin(), R.Wait.end()), R.Wait.end());
        std::sort(R.Notify.begin(), R.Notify.end());
        R.Type = C->Name;
        R.Why = Evidence;
        R.Pack = "inferred";
        Inferred.ConditionVariables.push_back(std::move(R));
        continue;
      }
    }

    // Mutex types: methods that only lock, methods that only unlock.
    {
      MutexTypeRule R;
      std::string Evidence;
      for (const FunctionFact *M : Ms) {
        if (M->IsCtor || M->IsDtor)
          continue;
        bool Locks = false, Unlocks = false;
        for (const SyncOpFact &Op : M->SyncOps) {
          const FieldFact *Fd = field(Op.Target);
          if (!Fd || Fd->Kind != FieldKind::Mutex)
            continue;
          Locks |= Op.Op == "lock";
          Unlocks |= Op.Op == "unlock";
          if (Op.Op == "lock" && Evidence.empty())
            Evidence = "inferred: '" + shortName(M->Name) + "' (" +
                       where(M->Pos) + ") locks '" + Fd->Name + "'";
        }
        if (Locks && !Unlocks)
          addUnique(R.Lock, shortName(M->Name));
        if (Unlocks && !Locks)
          addUnique(R.Unlock, shortName(M->Name));
      }
      if (!R.Lock.empty() && !R.Unlock.empty()) {
        std::sort(R.Lock.begin(), R.Lock.end());
        std::sort(R.Unlock.begin(), R.Unlock.end());
        R.Type = C->Name;
        R.Why = Evidence + ", and '" + R.Unlock.front() + "' unlocks it";
        R.Pack = "inferred";
        Inferred.MutexTypes.push_back(std::move(R));
      }
    }
  }

  // Synchronized types: every field atomic (class template specializations
  // share their name: one entry).
  std::set<std::string> SyncNames;
  for (const auto &[ClassUSR, C] : Classes) {
    if (known(C->Name) || C->OtherFields != 0 || C->Fields.empty() ||
        !C->Bases.empty() || Known.synchronizedType(C->Name))
      continue;
    if (!std::all_of(C->Fields.begin(), C->Fields.end(), [](const FieldFact &F) {
          return F.Kind == FieldKind::Atomic;
        }))
      continue;
    if (!SyncNames.insert(C->Name).second)
      continue;
    SynchronizedTypeRule R;
    R.Type = C->Name;
    R.Pack = "inferred";
    R.Why = "inferred: every field is atomic ('" + C->Fields.front().Name +
            "', " + where(C->Pos) + ")";
    Inferred.SynchronizedTypes.push_back(std::move(R));
  }

  // Lock types, once the mutex types are known: a constructor that locks
  // (a raw mutex it refers to, or through an inferred mutex's lock method)
  // and a destructor that unlocks.
  std::set<std::string> LockMethods, UnlockMethods;
  for (const MutexTypeRule &R : Inferred.MutexTypes)
    for (const auto &[USR, C] : Classes)
      if (C->Name == R.Type)
        for (const FunctionFact *M : methodsOf(USR)) {
          std::string N = shortName(M->Name);
          if (std::find(R.Lock.begin(), R.Lock.end(), N) != R.Lock.end())
            LockMethods.insert(M->USR);
          if (std::find(R.Unlock.begin(), R.Unlock.end(), N) != R.Unlock.end())
            UnlockMethods.insert(M->USR);
        }
  for (const auto &[ClassUSR, C] : Classes) {
    if (known(C->Name))
      continue;
    const FunctionFact *LockingCtor = nullptr, *UnlockingDtor = nullptr;
    for (const FunctionFact *M : methodsOf(ClassUSR)) {
      if (!M->IsCtor && !M->IsDtor)
        continue;
      bool L = false, U = false;
      for (const SyncOpFact &Op : M->SyncOps) {
        const FieldFact *Fd = field(Op.Target);
        if (Fd && Fd->Kind == FieldKind::MutexRef) {
          L |= Op.Op == "lock";
          U |= Op.Op == "unlock";
        }
      }
      for (const CallFact &Call : M->Calls) {
        L |= LockMethods.count(Call.Callee) != 0;
        U |= UnlockMethods.count(Call.Callee) != 0;
      }
      if (M->IsCtor && L && !LockingCtor)
        LockingCtor = M;
      if (M->IsDtor && U)
        UnlockingDtor = M;
    }
    if (!LockingCtor || !UnlockingDtor)
      continue;
    LockTypeRule R;
    R.Type = C->Name;
    R.Pack = "inferred";
    R.Why = "inferred: its constructor (" + where(LockingCtor->Pos) +
            ") locks the mutex it is given and its destructor (" +
            where(UnlockingDtor->Pos) + ") unlocks it";
    Inferred.LockTypes.push_back(std::move(R));
  }

  // Forwarding executors: a method that hands the callable it is given to
  // an executor method (inferred above, or found here: Env::Schedule ->
  // ThreadPool::Schedule -> Impl::Submit), or to a thread it does not keep,
  // queues that callable for another thread too. A call through a base
  // class's virtual method reaches every override.
  std::set<std::string> ExecutorUSRs;
  auto addExecutorMethod = [&](const FunctionFact *M) {
    ExecutorUSRs.insert(M->USR);
    for (const std::string &O : M->Overrides)
      ExecutorUSRs.insert(O);
  };
  for (const ExecutorRule &R : Inferred.Executors)
    for (const auto &[USR, C] : Classes)
      if (C->Name == R.Class)
        for (const FunctionFact *M : methodsOf(USR))
          if (std::find(R.Methods.begin(), R.Methods.end(),
                        shortName(M->Name)) != R.Methods.end())
            addExecutorMethod(M);
  for (bool Changed = true; Changed;) {
    Changed = false;
    for (const auto &[USR, F] : Functions) {
      if (F->Class.empty() || F->IsCtor || F->IsDtor || ExecutorUSRs.count(USR))
        continue;
      const ClassFact *C = cls(F->Class);
      if (!C || known(C->Name))
        continue;
      int Param = -1;
      std::string Evidence;
      for (const SpawnFact &S : F->Spawns)
        if (S.FromParam >= 0 && S.Kind != SpawnFactKind::Async &&
            S.HandleField.empty() && Param < 0) {
          Param = S.FromParam;
          Evidence = "inferred: '" + shortName(F->Name) + "' (" +
                     where(F->Pos) + ") hands the callable it is given to " +
                     S.Spawner + " (" + where(S.Pos) + ")";
        }
      for (const HandoffFact &H : F->Handoffs)
        if (H.FromParam >= 0 && ExecutorUSRs.count(H.Method) && Param < 0) {
          const FunctionFact *To = function(H.Method);
          Param = H.FromParam;
          Evidence = "inferred: '" + shortName(F->Name) + "' (" +
                     where(F->Pos) + ") forwards the callable it is given to '" +
                     (To ? shortName(To->Name) : std::string("?")) + "' (" +
                     where(H.Pos) + "), which runs it on another thread";
        }
      if (Param < 0)
        continue;
      auto It = std::find_if(
          Inferred.Executors.begin(), Inferred.Executors.end(),
          [&](const ExecutorRule &R) {
            return R.Class == C->Name && R.EntryArg == Param;
          });
      if (It == Inferred.Executors.end()) {
        ExecutorRule R;
        R.Class = C->Name;
        R.EntryArg = Param;
        R.Why = Evidence;
        R.Pack = "inferred";
        Inferred.Executors.push_back(std::move(R));
        It = Inferred.Executors.end() - 1;
      }
      addUnique(It->Methods, shortName(F->Name));
      std::sort(It->Methods.begin(), It->Methods.end());
      addExecutorMethod(F);
      Changed = true;
    }
  }
}

std::string InferredRules::toRulePack() const {
  using nlohmann::ordered_json;
  ordered_json J;
  J["tether-rules"] = 1;
  J["pack"] = "inferred";
  J["description"] =
      "Wrappers inferred by tether from the project's code "
      "(--dump-inferred-rules). Review, edit and commit it as your own pack "
      "(--rules): a user pack overrides an inferred entry.";
  auto onDestroy = [](OnDestroyJoinable O) {
    return O == OnDestroyJoinable::Join     ? "join"
           : O == OnDestroyJoinable::Detach ? "detach"
                                            : "terminate";
  };
  if (!ThreadTypes.empty()) {
    ordered_json A = ordered_json::array();
    for (const InferredThreadType &T : ThreadTypes) {
      ordered_json E;
      E["type"] = T.Rule.Type;
      E["entry_arg"] = T.Rule.EntryArg;
      if (!T.Start.empty())
        E["start"] = T.Start;
      E["join"] = T.Rule.Join;
      E["detach"] = T.Rule.Detach;
      E["on_destroy_joinable"] = onDestroy(T.Rule.OnDestroy);
      E["why"] = T.Rule.Why;
      A.push_back(E);
    }
    J["thread_types"] = A;
  }
  if (!Executors.empty()) {
    ordered_json A = ordered_json::array();
    for (const ExecutorRule &R : Executors)
      A.push_back(ordered_json{{"class", R.Class},
                               {"methods", R.Methods},
                               {"entry_arg", R.EntryArg},
                               {"why", R.Why}});
    J["executors"] = A;
  }
  if (!ConditionVariables.empty()) {
    ordered_json A = ordered_json::array();
    for (const ConditionVariableRule &R : ConditionVariables) {
      ordered_json Wait = ordered_json::object();
      for (const auto &[M, N] : R.Wait)
        Wait[M] = N;
      A.push_back(ordered_json{{"type", R.Type},
                               {"notify", R.Notify},
                               {"wait", Wait},
                               {"why", R.Why}});
    }
    J["condition_variables"] = A;
  }
  if (!MutexTypes.empty()) {
    ordered_json A = ordered_json::array();
    for (const MutexTypeRule &R : MutexTypes)
      A.push_back(ordered_json{{"type", R.Type},
                               {"lock", R.Lock},
                               {"unlock", R.Unlock},
                               {"why", R.Why}});
    J["mutex_types"] = A;
  }
  if (!LockTypes.empty()) {
    ordered_json A = ordered_json::array();
    for (const LockTypeRule &R : LockTypes)
      A.push_back(ordered_json{{"type", R.Type}, {"why", R.Why}});
    J["lock_types"] = A;
  }
  if (!SynchronizedTypes.empty()) {
    ordered_json A = ordered_json::array();
    for (const SynchronizedTypeRule &R : SynchronizedTypes)
      A.push_back(ordered_json{{"type", R.Type}, {"why", R.Why}});
    J["synchronized_types"] = A;
  }
  return J.dump(2) + "\n";
}

} // namespace tether
