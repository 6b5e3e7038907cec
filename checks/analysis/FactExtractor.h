//===--- FactExtractor.h - The project facts of one translation unit ------===//
//
// The per-TU half of the project model (project/ProjectModel.h joins the
// halves): walks the translation unit once, on top of the analyses the
// checks already built for it (thread contexts, spawn sites, the throw and
// lock analyses), and records what each function does in USR-keyed facts
// (project/Facts.h): whom it calls, what it spawns, which handles it joins
// or detaches, which mutexes and condition variables it uses, which
// callables it stores or invokes, which globals it touches under which
// locks, which objects of thread-owning classes it creates, and whether an
// exception can leave it. Runs in the same parse as the checks.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_FACTEXTRACTOR_H
#define TETHER_CHECKS_ANALYSIS_FACTEXTRACTOR_H

#include "project/Facts.h"

namespace tether {

class CheckContext;

/// The facts of the translation unit whose AST `C` holds (the per-TU checks
/// may already have run: their shared analyses are reused).
TUFacts extractFacts(CheckContext &C);

} // namespace tether

#endif
