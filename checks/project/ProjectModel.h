//===--- ProjectModel.h - The facts of every TU, joined -------------------===//
//
// The project step of a run: it joins the facts of all translation units
// (Facts.h) into one model keyed by USR, in a fixed order whatever the
// number of jobs or the order in which translation units finished:
//
//   - the project call graph (direct calls, constructors, lambdas run where
//     they are created, every override of a virtual callee);
//   - inferred wrappers: the project's own thread classes, pools and event
//     loops, mutexes, guards, condition variables and atomic wrappers, derived from what
//     their methods do (WrapperInference.cpp), as a rule pack a team can
//     review and commit (`--dump-inferred-rules`);
//   - thread contexts across files: every spawn site, every callable handed
//     to an inferred executor and every started object of an inferred thread
//     class is an entry, reached through the project call graph;
//   - the checks that need the whole project (ProjectChecks.cpp): objects of
//     inferred thread classes left running, globals raced across files,
//     exceptions escaping thread entries through functions of other files.
//
// It never sees an AST: everything it reports comes from the facts, with the
// locations and source lines the extractor recorded.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_PROJECT_PROJECTMODEL_H
#define TETHER_CHECKS_PROJECT_PROJECTMODEL_H

#include "Facts.h"

#include "core/Rules.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tether {

/// A wrapper class inferred from the facts, with the evidence for it.
struct InferredThreadType {
  ThreadTypeRule Rule;
  std::string ClassUSR;
  std::vector<std::string> Start; ///< methods that start the thread
  /// Where the destructor joins or detaches (empty: it does neither).
  FactPos DtorPos;
  std::string DtorName;
  FactPos StartPos; ///< the spawn in the start method
};

struct InferredRules {
  std::vector<InferredThreadType> ThreadTypes;
  std::vector<ExecutorRule> Executors;
  std::vector<MutexTypeRule> MutexTypes;
  std::vector<LockTypeRule> LockTypes;
  std::vector<ConditionVariableRule> ConditionVariables;
  /// Classes whose every field is atomic (a relaxed counter wrapper).
  std::vector<SynchronizedTypeRule> SynchronizedTypes;

  /// How many entries, of every kind.
  size_t size() const {
    return ThreadTypes.size() + Executors.size() + MutexTypes.size() +
           LockTypes.size() + ConditionVariables.size() +
           SynchronizedTypes.size();
  }
  /// A schema-1 rule pack ("pack": "inferred"), each entry's `why` naming
  /// the evidence (file and line); `thread_types` entries carry `start`.
  std::string toRulePack() const;
};

class ProjectModel {
public:
  /// Joins `TUs` (any order: they are sorted by main file first). `Known`
  /// is the loaded rule set: classes it already describes are not inferred
  /// (a user pack overrides an inferred entry).
  ProjectModel(std::vector<TUFacts> TUs, const RuleSet &Known);

  const InferredRules &inferred() const { return Inferred; }

  /// The findings that need the whole project, for the enabled checks
  /// (`Enabled` holds check names), without those a per-TU check already
  /// reported. A race whose thread reaches the access only through a long
  /// call chain (more than `MaxRaceDepth` calls below the entry) is
  /// reported only when the program synchronizes some access of that
  /// global (it treats it as shared) or when `StrictGlobals` is set.
  std::vector<Diagnostic> findings(const std::set<std::string> &Enabled,
                                   bool StrictGlobals = false) const;
  static constexpr unsigned MaxRaceDepth = 3;

  /// The per-TU findings and tool errors carried by the facts.
  const std::vector<TUFacts> &units() const { return TUs; }

  // --- The joined model, for the inference and the checks ----------------
  const FunctionFact *function(const std::string &USR) const;
  const ClassFact *cls(const std::string &USR) const;
  const FieldFact *field(const std::string &USR,
                         const ClassFact **Owner = nullptr) const;
  /// Methods of a class (its own, not inherited), in a fixed order.
  const std::vector<const FunctionFact *> &
  methodsOf(const std::string &ClassUSR) const;
  /// Callees of `F` in the project graph (virtual calls expanded).
  std::vector<const FunctionFact *> callees(const FunctionFact &F) const;
  /// Every function reachable from `Roots` (themselves included).
  std::set<const FunctionFact *>
  reach(const std::vector<const FunctionFact *> &Roots) const;
  /// Call sites of `F` in the project: {caller, call}.
  std::vector<std::pair<const FunctionFact *, const CallFact *>>
  callersOf(const FunctionFact &F) const;
  /// Is `ClassUSR` (or a base) a subclass of `BaseUSR`?
  bool derivesFrom(const std::string &ClassUSR,
                   const std::string &BaseUSR) const;

private:
  void index();
  void infer(const RuleSet &Known);

  std::vector<TUFacts> TUs;
  std::map<std::string, const FunctionFact *> Functions;
  std::map<std::string, const ClassFact *> Classes;
  std::map<std::string, std::pair<const ClassFact *, const FieldFact *>>
      Fields;
  std::map<std::string, const GlobalFact *> Globals;
  std::map<std::string, std::vector<const FunctionFact *>> Methods;
  std::map<std::string, std::vector<std::string>> OverriddenBy;
  std::map<std::string,
           std::vector<std::pair<const FunctionFact *, const CallFact *>>>
      Callers;
  std::set<std::string> ReportedGlobals;
  InferredRules Inferred;
};

} // namespace tether

#endif
