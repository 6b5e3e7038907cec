// WorkflowSupervisor: a dynamic supervisor with one transient WorkflowProcess
// server per workflow (restarted only after a failure), and a driver that
// runs a workflow to completion through calls, on a supervised task.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <tether/tether.hpp>

#include "workflow_process.hpp"

namespace workflow {

class WorkflowSupervisor {
 public:
  WorkflowSupervisor(std::shared_ptr<FaultPlan> faults, tether::supervisor_options opts);

  /// Errors: as dynamic_supervisor::start_child.
  tether::result<void> start();
  tether::result<tether::server_ref<WorkflowProcess>> start_workflow(const WorkflowSpec& spec);
  /// Drives workflow `id` step by step until done; survives crashes of its
  /// process by looking up the restarted incarnation. Returns the results.
  /// Errors: timeout (deadline passed), or the last call error.
  tether::result<std::string> run_to_completion(const std::string& id, std::chrono::milliseconds deadline);
  /// Removes a finished workflow (and its saved state).
  tether::result<void> finish(const std::string& id);
  void stop();

 private:
  std::shared_ptr<FaultPlan> faults_;
  tether::dynamic_supervisor sup_;
};

}  // namespace workflow
