//===--- Rules.cpp - Loading and validating rule packs --------------------===//

#include "Rules.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace tether {

using nlohmann::json;

static std::string stripColons(const std::string &S) {
  return S.rfind("::", 0) == 0 ? S.substr(2) : S;
}

bool qualifiedNameMatches(const std::string &Pattern,
                          const std::string &QualifiedName) {
  return stripColons(Pattern) == stripColons(QualifiedName);
}

const ThreadTypeRule *RuleSet::threadType(const std::string &Name) const {
  for (const auto &R : ThreadTypes)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

const FutureTypeRule *RuleSet::futureType(const std::string &Name) const {
  for (const auto &R : FutureTypes)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

const ThreadFunctionRule *
RuleSet::threadFunction(const std::string &Name) const {
  for (const auto &R : ThreadFunctions)
    if (qualifiedNameMatches(R.Function, Name))
      return &R;
  return nullptr;
}

const ConditionVariableRule *
RuleSet::conditionVariable(const std::string &Name) const {
  for (const auto &R : ConditionVariables)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

const MutexTypeRule *RuleSet::mutexType(const std::string &Name) const {
  for (const auto &R : MutexTypes)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

const LockTypeRule *RuleSet::lockType(const std::string &Name) const {
  for (const auto &R : LockTypes)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

const MutexTypeRule *RuleSet::mutexFunction(const std::string &Function,
                                            bool &Locks) const {
  for (const auto &R : MutexTypes) {
    for (const std::string &F : R.LockFunctions)
      if (qualifiedNameMatches(F, Function)) {
        Locks = true;
        return &R;
      }
    for (const std::string &F : R.UnlockFunctions)
      if (qualifiedNameMatches(F, Function)) {
        Locks = false;
        return &R;
      }
  }
  return nullptr;
}

const ConditionVariableRule *
RuleSet::conditionVariableFunction(const std::string &Function,
                                   bool &Waits) const {
  for (const auto &R : ConditionVariables) {
    for (const std::string &F : R.WaitFunctions)
      if (qualifiedNameMatches(F, Function)) {
        Waits = true;
        return &R;
      }
    for (const std::string &F : R.NotifyFunctions)
      if (qualifiedNameMatches(F, Function)) {
        Waits = false;
        return &R;
      }
  }
  return nullptr;
}

const ThreadSpecificRule *
RuleSet::threadSpecific(const std::string &KeyType) const {
  for (const auto &R : ThreadSpecific)
    if (qualifiedNameMatches(R.KeyType, KeyType))
      return &R;
  return nullptr;
}

const ThrowingFunctionRule *
RuleSet::throwingFunction(const std::string &Name) const {
  for (const auto &R : ThrowingFunctions)
    if (qualifiedNameMatches(R.Function, Name))
      return &R;
  return nullptr;
}

bool RuleSet::isNothrowFunction(const std::string &Name) const {
  for (const auto &F : NothrowFunctions)
    if (qualifiedNameMatches(F, Name))
      return true;
  return false;
}

bool RuleSet::isThreadSelf(const std::string &Name) const {
  for (const auto &R : ThreadTypes)
    if (!R.Self.empty() && qualifiedNameMatches(R.Self, Name))
      return true;
  for (const auto &R : ThreadFunctions)
    if (!R.Self.empty() && qualifiedNameMatches(R.Self, Name))
      return true;
  return false;
}

const SynchronizedTypeRule *
RuleSet::synchronizedType(const std::string &Name) const {
  for (const auto &R : SynchronizedTypes)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

const OnceFunctionRule *RuleSet::onceFunction(const std::string &Name) const {
  for (const auto &R : OnceFunctions)
    if (qualifiedNameMatches(R.Function, Name))
      return &R;
  return nullptr;
}

const AtomicFunctionRule *
RuleSet::atomicFunction(const std::string &Name) const {
  std::string N = stripColons(Name);
  for (const auto &R : AtomicFunctions) {
    std::string P = stripColons(R.Function);
    if (!P.empty() && P.back() == '*'
            ? N.compare(0, P.size() - 1, P, 0, P.size() - 1) == 0
            : P == N)
      return &R;
  }
  return nullptr;
}

const PromiseTypeRule *RuleSet::promiseType(const std::string &Name) const {
  for (const auto &R : PromiseTypes)
    if (qualifiedNameMatches(R.Type, Name))
      return &R;
  return nullptr;
}

namespace {

/// Finds where the value at a JSON pointer starts in the text, so that a
/// schema error can name a line and column (nlohmann::json keeps none). A
/// small scanner over already-valid JSON.
class PointerLocator {
public:
  explicit PointerLocator(const std::string &Text) : T(Text) {}

  /// Byte offset of the value at `Path` (a list of keys or indices), or of
  /// the closest enclosing value that exists.
  size_t locate(const std::vector<std::string> &Path) {
    I = 0;
    skipWs();
    size_t Found = I;
    for (const std::string &Seg : Path) {
      if (I >= T.size())
        break;
      if (T[I] == '{') {
        if (!enterObjectMember(Seg))
          break;
      } else if (T[I] == '[') {
        if (!enterArrayElement(std::stoul(Seg)))
          break;
      } else {
        break;
      }
      Found = I;
    }
    return Found;
  }

private:
  const std::string &T;
  size_t I = 0;

  void skipWs() {
    while (I < T.size() && std::isspace(static_cast<unsigned char>(T[I])))
      ++I;
  }
  std::string readString() { // at '"'
    std::string S;
    ++I;
    while (I < T.size() && T[I] != '"') {
      if (T[I] == '\\' && I + 1 < T.size()) {
        S += T[I + 1];
        I += 2;
        continue;
      }
      S += T[I++];
    }
    ++I;
    return S;
  }
  void skipValue() {
    skipWs();
    if (I >= T.size())
      return;
    char C = T[I];
    if (C == '"') {
      readString();
    } else if (C == '{' || C == '[') {
      int Depth = 0;
      while (I < T.size()) {
        if (T[I] == '"') {
          readString();
          continue;
        }
        if (T[I] == '{' || T[I] == '[')
          ++Depth;
        else if (T[I] == '}' || T[I] == ']') {
          if (--Depth == 0) {
            ++I;
            return;
          }
        }
        ++I;
      }
    } else {
      while (I < T.size() && T[I] != ',' && T[I] != '}' && T[I] != ']' &&
             !std::isspace(static_cast<unsigned char>(T[I])))
        ++I;
    }
  }
  bool enterObjectMember(const std::string &Key) {
    ++I; // '{'
    while (true) {
      skipWs();
      if (I >= T.size() || T[I] == '}')
        return false;
      if (T[I] == ',') {
        ++I;
        continue;
      }
      std::string K = readString();
      skipWs();
      ++I; // ':'
      skipWs();
      if (K == Key)
        return true;
      skipValue();
    }
  }
  bool enterArrayElement(unsigned long Index) {
    ++I; // '['
    for (unsigned long N = 0;; ++N) {
      skipWs();
      if (I >= T.size() || T[I] == ']')
        return false;
      if (N == Index)
        return true;
      skipValue();
      skipWs();
      if (I < T.size() && T[I] == ',')
        ++I;
    }
  }
};

std::pair<unsigned, unsigned> lineCol(const std::string &Text, size_t Off) {
  unsigned Line = 1, Col = 1;
  for (size_t K = 0; K < Off && K < Text.size(); ++K) {
    if (Text[K] == '\n') {
      ++Line;
      Col = 1;
    } else {
      ++Col;
    }
  }
  return {Line, Col};
}

struct SchemaError {
  std::vector<std::string> Path;
  std::string Problem;
};

std::string pointer(const std::vector<std::string> &Path) {
  std::string S;
  for (const auto &P : Path)
    S += "/" + P;
  return S.empty() ? "/" : S;
}

/// Reads one pack with schema validation; throws SchemaError.
class PackReader {
public:
  explicit PackReader(std::string PackName) : Pack(std::move(PackName)) {}

  void read(const json &Root, RuleSet &Out) {
    Path.clear();
    if (!Root.is_object())
      fail("a rule pack must be a JSON object");
    static const std::set<std::string> Known = {
        "tether-rules", "pack", "description", "thread_types",
        "thread_functions", "async_functions", "future_types", "executors",
        "containers", "executor_name_heuristics", "condition_variables",
        "mutex_types", "lock_types", "thread_specific", "queues", "observers",
        "observer_name_heuristics", "throwing_functions",
        "nothrow_functions", "promise_types", "synchronized_types",
        "atomic_functions", "once_functions"};
    for (auto It = Root.begin(); It != Root.end(); ++It)
      if (!Known.count(It.key()))
        failAt(It.key(), "unknown key '" + It.key() +
                             "' (see docs/rules.md for the schema)");
    if (!Root.contains("tether-rules"))
      fail("missing \"tether-rules\": 1 (the schema version)");
    {
      Scope S(Path, "tether-rules");
      const json &V = Root["tether-rules"];
      if (!V.is_number_integer() || V.get<int>() != 1)
        fail("unsupported schema version; this tether reads version 1");
    }
    if (Root.contains("pack")) {
      Pack = str(Root, "pack", true);
    }
    Out.Packs.push_back(Pack);
    array(Root, "thread_types", [&](const json &E) {
      ThreadTypeRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      R.EntryArg = integer(E, "entry_arg", 0);
      R.Join = strings(E, "join");
      R.Detach = strings(E, "detach");
      R.Start = strings(E, "start");
      std::string D = str(E, "on_destroy_joinable", false);
      if (D.empty() || D == "terminate")
        R.OnDestroy = OnDestroyJoinable::Terminate;
      else if (D == "detach")
        R.OnDestroy = OnDestroyJoinable::Detach;
      else if (D == "join")
        R.OnDestroy = OnDestroyJoinable::Join;
      else
        failAt("on_destroy_joinable",
               "expected \"terminate\", \"detach\" or \"join\"");
      R.Self = str(E, "self", false);
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "entry_arg", "join", "detach", "start", "self",
                    "on_destroy_joinable", "why"});
      Out.ThreadTypes.push_back(std::move(R));
    });
    array(Root, "thread_functions", [&](const json &E) {
      ThreadFunctionRule R;
      R.Pack = Pack;
      R.Function = str(E, "function", true);
      R.HandleArg = static_cast<unsigned>(integer(E, "handle_arg", 0));
      R.EntryArg = integer(E, "entry_arg", -1);
      R.AttrArg = integer(E, "attr_arg", -1);
      R.Join = strings(E, "join");
      R.Detach = strings(E, "detach");
      if (E.contains("detach_attribute")) {
        Scope S(Path, "detach_attribute");
        const json &A = E["detach_attribute"];
        if (!A.is_object())
          fail("expected an object with \"setter\" and \"value\"");
        R.DetachAttrSetter = str(A, "setter", true);
        R.DetachAttrValue = str(A, "value", true);
        allowOnly(A, {"setter", "value"});
      }
      R.Self = str(E, "self", false);
      R.Why = str(E, "why", true);
      allowOnly(E, {"function", "handle_arg", "entry_arg", "attr_arg", "join",
                    "detach", "detach_attribute", "self", "why"});
      Out.ThreadFunctions.push_back(std::move(R));
    });
    array(Root, "async_functions", [&](const json &E) {
      AsyncFunctionRule R;
      R.Pack = Pack;
      R.Function = str(E, "function", true);
      R.EntryArg = integer(E, "entry_arg", -1);
      R.Why = str(E, "why", true);
      allowOnly(E, {"function", "entry_arg", "why"});
      Out.AsyncFunctions.push_back(std::move(R));
    });
    array(Root, "future_types", [&](const json &E) {
      FutureTypeRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      R.Wait = strings(E, "wait");
      if (R.Wait.empty())
        failAt("wait", "a future type needs at least one waiting method");
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "wait", "why"});
      Out.FutureTypes.push_back(std::move(R));
    });
    array(Root, "executors", [&](const json &E) {
      ExecutorRule R;
      R.Pack = Pack;
      R.Class = str(E, "class", true);
      R.Methods = strings(E, "methods");
      if (R.Methods.empty())
        failAt("methods", "an executor needs at least one method");
      R.EntryArg = integer(E, "entry_arg", 0);
      R.Why = str(E, "why", true);
      allowOnly(E, {"class", "methods", "entry_arg", "why"});
      Out.Executors.push_back(std::move(R));
    });
    array(Root, "condition_variables", [&](const json &E) {
      ConditionVariableRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      R.Notify = strings(E, "notify");
      R.NotifyOne = strings(E, "notify_one");
      R.WaitFunctions = strings(E, "wait_functions");
      R.NotifyFunctions = strings(E, "notify_functions");
      for (const std::string &N : R.NotifyOne)
        if (std::find(R.Notify.begin(), R.Notify.end(), N) ==
                R.Notify.end() &&
            std::find(R.NotifyFunctions.begin(), R.NotifyFunctions.end(),
                      N) == R.NotifyFunctions.end())
          failAt("notify_one", "'" + N +
                                   "' is not one of \"notify\" or "
                                   "\"notify_functions\"");
      if (E.contains("wait")) {
        Scope S(Path, "wait");
        const json &W = E["wait"];
        if (!W.is_object())
          fail("expected an object: waiting method -> number of arguments "
               "without a predicate");
        for (auto It = W.begin(); It != W.end(); ++It) {
          Scope S2(Path, It.key());
          if (!It.value().is_number_integer() || It.value().get<int>() < 0 ||
              It.value().get<int>() > 16)
            fail("expected the number of arguments of the overload without "
                 "a predicate (0 to 16)");
          R.Wait.emplace_back(It.key(),
                              static_cast<unsigned>(It.value().get<int>()));
        }
      }
      if (R.Notify.empty() && R.Wait.empty() && R.WaitFunctions.empty() &&
          R.NotifyFunctions.empty())
        fail("a condition variable needs \"notify\" or \"wait\" methods, "
             "or \"wait_functions\" or \"notify_functions\"");
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "notify", "wait", "notify_one", "wait_functions",
                    "notify_functions", "why"});
      Out.ConditionVariables.push_back(std::move(R));
    });
    array(Root, "mutex_types", [&](const json &E) {
      MutexTypeRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      R.Lock = strings(E, "lock");
      R.Unlock = strings(E, "unlock");
      R.LockFunctions = strings(E, "lock_functions");
      R.UnlockFunctions = strings(E, "unlock_functions");
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "lock", "unlock", "lock_functions",
                    "unlock_functions", "why"});
      Out.MutexTypes.push_back(std::move(R));
    });
    array(Root, "thread_specific", [&](const json &E) {
      ThreadSpecificRule R;
      R.Pack = Pack;
      R.KeyType = str(E, "key_type", true);
      R.Get = strings(E, "get");
      R.Set = strings(E, "set");
      if (R.Get.empty() && R.Set.empty())
        fail("a thread_specific entry needs \"get\" or \"set\" functions");
      R.Why = str(E, "why", true);
      allowOnly(E, {"key_type", "get", "set", "why"});
      Out.ThreadSpecific.push_back(std::move(R));
    });
    array(Root, "lock_types", [&](const json &E) {
      LockTypeRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      R.Lock = strings(E, "lock");
      R.Unlock = strings(E, "unlock");
      R.DeferTag = str(E, "defer_tag", false);
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "lock", "unlock", "defer_tag", "why"});
      Out.LockTypes.push_back(std::move(R));
    });
    array(Root, "queues", [&](const json &E) {
      QueueRule R;
      R.Pack = Pack;
      R.Class = str(E, "class", true);
      R.Methods = strings(E, "methods");
      if (R.Methods.empty())
        failAt("methods", "a queue needs at least one method");
      R.AllocationFailureOnly = strings(E, "allocation_failure_only");
      for (const std::string &M : R.AllocationFailureOnly)
        if (std::find(R.Methods.begin(), R.Methods.end(), M) ==
            R.Methods.end())
          failAt("allocation_failure_only",
                 "'" + M + "' is not one of the queue's \"methods\"");
      R.Why = str(E, "why", true);
      allowOnly(E, {"class", "methods", "allocation_failure_only", "why"});
      Out.Queues.push_back(std::move(R));
    });
    array(Root, "throwing_functions", [&](const json &E) {
      ThrowingFunctionRule R;
      R.Pack = Pack;
      R.Function = str(E, "function", true);
      R.Throws = str(E, "throws", true);
      R.Why = str(E, "why", true);
      allowOnly(E, {"function", "throws", "why"});
      Out.ThrowingFunctions.push_back(std::move(R));
    });
    if (Root.contains("nothrow_functions")) {
      for (auto &F : strings(Root, "nothrow_functions"))
        Out.NothrowFunctions.push_back(F);
    }
    array(Root, "synchronized_types", [&](const json &E) {
      SynchronizedTypeRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      if (E.contains("wraps")) {
        Scope S(Path, "wraps");
        if (!E["wraps"].is_boolean())
          fail("expected true or false");
        R.Wraps = E["wraps"].get<bool>();
      }
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "wraps", "why"});
      Out.SynchronizedTypes.push_back(std::move(R));
    });
    array(Root, "once_functions", [&](const json &E) {
      OnceFunctionRule R;
      R.Pack = Pack;
      R.Function = str(E, "function", true);
      if (E.contains("entry_arg")) {
        Scope S(Path, "entry_arg");
        if (!E["entry_arg"].is_number_unsigned())
          fail("expected an argument index (0 or more)");
        R.EntryArg = E["entry_arg"].get<unsigned>();
      }
      R.Why = str(E, "why", true);
      allowOnly(E, {"function", "entry_arg", "why"});
      Out.OnceFunctions.push_back(std::move(R));
    });
    array(Root, "atomic_functions", [&](const json &E) {
      AtomicFunctionRule R;
      R.Pack = Pack;
      R.Function = str(E, "function", true);
      R.Why = str(E, "why", true);
      allowOnly(E, {"function", "why"});
      Out.AtomicFunctions.push_back(std::move(R));
    });
    array(Root, "promise_types", [&](const json &E) {
      PromiseTypeRule R;
      R.Pack = Pack;
      R.Type = str(E, "type", true);
      R.Satisfy = strings(E, "satisfy");
      if (R.Satisfy.empty())
        failAt("satisfy", "a promise type needs at least one satisfying method");
      R.Future = strings(E, "future");
      R.Why = str(E, "why", true);
      allowOnly(E, {"type", "satisfy", "future", "why"});
      Out.PromiseTypes.push_back(std::move(R));
    });
    array(Root, "observers", [&](const json &E) {
      ObserverRule R;
      R.Pack = Pack;
      int Kinds = E.contains("register") + E.contains("base") +
                  E.contains("signal");
      if (Kinds != 1)
        fail("an observer entry has exactly one of \"register\", \"base\" "
             "or \"signal\"");
      if (E.contains("register")) {
        R.Kind = ObserverKind::Register;
        R.Name = str(E, "register", true);
        R.HandlerArg = integer(E, "handler_arg", -1);
        R.Emit = strings(E, "emit");
        allowOnly(E, {"register", "handler_arg", "emit", "why"});
      } else if (E.contains("base")) {
        R.Kind = ObserverKind::Base;
        R.Name = str(E, "base", true);
        R.Methods = strings(E, "methods");
        if (R.Methods.empty())
          failAt("methods", "a handler base class needs at least one method");
        R.Emit = strings(E, "emit");
        allowOnly(E, {"base", "methods", "emit", "why"});
      } else {
        R.Kind = ObserverKind::Signal;
        R.Name = str(E, "signal", true);
        R.Methods = strings(E, "methods");
        if (R.Methods.empty())
          failAt("methods", "a signalling type needs at least one method");
        R.Wait = strings(E, "wait");
        if (E.contains("only_if_waited")) {
          Scope S(Path, "only_if_waited");
          if (!E["only_if_waited"].is_boolean())
            fail("expected true or false");
          R.OnlyIfWaited = E["only_if_waited"].get<bool>();
        }
        allowOnly(E, {"signal", "methods", "wait", "only_if_waited", "why"});
      }
      R.Why = str(E, "why", true);
      Out.Observers.push_back(std::move(R));
    });
    if (Root.contains("observer_name_heuristics")) {
      Scope S(Path, "observer_name_heuristics");
      if (!Root["observer_name_heuristics"].is_boolean())
        fail("expected true or false");
      Out.ObserverNameHeuristics = Root["observer_name_heuristics"].get<bool>();
    }
    if (Root.contains("containers")) {
      for (auto &C : strings(Root, "containers"))
        Out.Containers.push_back(C);
    }
    if (Root.contains("executor_name_heuristics")) {
      Scope S(Path, "executor_name_heuristics");
      if (!Root["executor_name_heuristics"].is_boolean())
        fail("expected true or false");
      Out.ExecutorNameHeuristics = Root["executor_name_heuristics"].get<bool>();
    }
  }

  std::vector<std::string> Path;

private:
  std::string Pack;

  struct Scope {
    std::vector<std::string> &P;
    Scope(std::vector<std::string> &P, std::string Seg) : P(P) {
      P.push_back(std::move(Seg));
    }
    ~Scope() { P.pop_back(); }
  };

  [[noreturn]] void fail(const std::string &Problem) {
    throw SchemaError{Path, Problem};
  }
  [[noreturn]] void failAt(const std::string &Key, const std::string &Problem) {
    Path.push_back(Key);
    throw SchemaError{Path, Problem};
  }
  void allowOnly(const json &E, std::initializer_list<const char *> Keys) {
    std::set<std::string> K(Keys.begin(), Keys.end());
    for (auto It = E.begin(); It != E.end(); ++It)
      if (!K.count(It.key()))
        failAt(It.key(), "unknown key '" + It.key() + "'");
  }
  std::string str(const json &E, const char *Key, bool Required) {
    if (!E.contains(Key)) {
      if (Required)
        fail(std::string("missing required key \"") + Key + "\"");
      return {};
    }
    Scope S(Path, Key);
    const json &V = E[Key];
    if (!V.is_string() || V.get<std::string>().empty())
      fail("expected a non-empty string");
    return V.get<std::string>();
  }
  int integer(const json &E, const char *Key, int Default) {
    if (!E.contains(Key))
      return Default;
    Scope S(Path, Key);
    const json &V = E[Key];
    if (!V.is_number_integer() || V.get<int>() < -1 || V.get<int>() > 64)
      fail("expected an argument index (an integer from 0; -1 for none)");
    return V.get<int>();
  }
  std::vector<std::string> strings(const json &E, const char *Key) {
    std::vector<std::string> Out;
    if (!E.contains(Key))
      return Out;
    Scope S(Path, Key);
    const json &V = E[Key];
    if (!V.is_array())
      fail("expected an array of strings");
    for (size_t K = 0; K < V.size(); ++K) {
      Scope S2(Path, std::to_string(K));
      if (!V[K].is_string() || V[K].get<std::string>().empty())
        fail("expected a non-empty string");
      Out.push_back(V[K].get<std::string>());
    }
    return Out;
  }
  template <typename F> void array(const json &Root, const char *Key, F Each) {
    if (!Root.contains(Key))
      return;
    Scope S(Path, Key);
    const json &V = Root[Key];
    if (!V.is_array())
      fail("expected an array of objects");
    for (size_t K = 0; K < V.size(); ++K) {
      Scope S2(Path, std::to_string(K));
      if (!V[K].is_object())
        fail("expected an object");
      Each(V[K]);
    }
  }
};

} // namespace

bool loadRulePack(const std::string &Text, const std::string &FileName,
                  RuleSet &Out, std::string &Error) {
  json Root;
  try {
    Root = json::parse(Text);
  } catch (const json::parse_error &E) {
    // nlohmann reports the byte just past the offending token.
    size_t Off = E.byte > 0 ? E.byte - 1 : 0;
    auto [L, C] = lineCol(Text, Off);
    std::string What = E.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5:
    //  syntax error while parsing object key - ..." -> keep the tail.
    auto Pos = What.find("syntax error");
    if (Pos == std::string::npos)
      Pos = What.find(": ");
    std::string Problem =
        Pos == std::string::npos ? What : What.substr(Pos);
    Error = FileName + ":" + std::to_string(L) + ":" + std::to_string(C) +
            ": invalid JSON: " + Problem;
    return false;
  } catch (const json::exception &E) {
    // A number too large for a double (1e999999) and the like.
    Error = FileName + ": invalid JSON: " + E.what();
    return false;
  }
  std::string Base = FileName;
  if (auto Slash = Base.find_last_of('/'); Slash != std::string::npos)
    Base = Base.substr(Slash + 1);
  if (Base.size() > 5 && Base.substr(Base.size() - 5) == ".json")
    Base = Base.substr(0, Base.size() - 5);
  RuleSet Copy = Out;
  PackReader Reader(Base);
  try {
    Reader.read(Root, Copy);
  } catch (const SchemaError &E) {
    PointerLocator Loc(Text);
    auto [L, C] = lineCol(Text, Loc.locate(E.Path));
    Error = FileName + ":" + std::to_string(L) + ":" + std::to_string(C) +
            ": " + pointer(E.Path) + ": " + E.Problem;
    return false;
  } catch (const json::exception &E) {
    Error = FileName + ": invalid rule pack: " + E.what();
    return false;
  }
  Out = std::move(Copy);
  return true;
}

std::pair<unsigned, unsigned>
jsonValuePosition(const std::string &Text,
                  const std::vector<std::string> &Path) {
  PointerLocator Loc(Text);
  return lineCol(Text, Loc.locate(Path));
}

bool loadRulePackFile(const std::string &Path, RuleSet &Out,
                      std::string &Error) {
  std::ifstream In(Path, std::ios::binary);
  if (!In) {
    Error = Path + ": cannot read rule file";
    return false;
  }
  std::stringstream SS;
  SS << In.rdbuf();
  return loadRulePack(SS.str(), Path, Out, Error);
}

bool loadBuiltinRules(RuleSet &Out, std::string &Error) {
  for (const BuiltinPack &P : builtinRulePacks())
    if (!loadRulePack(P.Text, std::string("<builtin>/rules/") + P.Name, Out,
                      Error))
      return false;
  return true;
}

} // namespace tether
