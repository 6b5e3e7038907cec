// tether/tether.hpp - umbrella header for the tether supervised runtime.
//
// Includes every public component. See docs/runtime/README.md for the guide
// and the OTP <-> tether mapping. Each included header documents its own
// thread-safety, blocking behaviour and errors.
#pragma once

#include "tether/dead_letters.hpp"
#include "tether/dynamic_supervisor.hpp"
#include "tether/error.hpp"
#include "tether/journal.hpp"
#include "tether/monitor.hpp"
#include "tether/process.hpp"
#include "tether/registry.hpp"
#include "tether/server.hpp"
#include "tether/state_store.hpp"
#include "tether/supervisor.hpp"
#include "tether/task_supervisor.hpp"
#include "tether/telemetry.hpp"
#include "tether/timeout.hpp"
#include "tether/version.hpp"
