//===--- TetherModules.cpp - Registers every check family -----------------===//

#include "core/CheckRegistry.h"

namespace tether {

void registerSpawnModule(CheckRegistry &Registry);
void registerSendModule(CheckRegistry &Registry);
void registerObservabilityModule(CheckRegistry &Registry);
void registerGlobalModule(CheckRegistry &Registry);
void registerSupervisionModule(CheckRegistry &Registry);

void registerAllChecks(CheckRegistry &Registry) {
  registerSpawnModule(Registry);
  registerSendModule(Registry);
  registerObservabilityModule(Registry);
  registerGlobalModule(Registry);
  registerSupervisionModule(Registry);
}

} // namespace tether
