// WorkflowProcess: one server per workflow. It owns its progress, persists
// current_step and the partial results to the supervisor's state store after
// every step, and on (re)start resumes from the saved step. A crash in a step
// is a server crash: the caller gets errc::crashed, the WorkflowSupervisor
// restarts the process, and the new incarnation resumes.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <tether/tether.hpp>

namespace workflow {

struct WorkflowSpec {
  std::string id;
  int steps = 5;
};

/// Which step of which workflow fails once (fault injection for the demo).
/// Thread-safe: the flag is consumed with an atomic exchange.
class FaultPlan {
 public:
  FaultPlan(std::string workflow, int step) : workflow_(std::move(workflow)), step_(step) {}
  bool should_fail(const std::string& workflow, int step) {
    return workflow == workflow_ && step == step_ && !fired_.exchange(true);
  }

 private:
  const std::string workflow_;
  const int step_;
  std::atomic<bool> fired_{false};
};

struct StepRequest {};
struct StepReply {
  int completed = 0;  ///< steps completed so far
  int total = 0;
  bool done = false;
  std::string results;
};

class WorkflowProcess {
 public:
  using call_type = StepRequest;
  using reply_type = StepReply;

  /// init: reads current_step and results back from the state store.
  WorkflowProcess(tether::child_context& ctx, WorkflowSpec spec, std::shared_ptr<FaultPlan> faults);

  /// Runs the next step, persists progress, returns it. Throws on an
  /// injected fault (the server crashes and is restarted).
  StepReply handle_call(const StepRequest&);

 private:
  WorkflowSpec spec_;
  std::shared_ptr<FaultPlan> faults_;
  tether::state_handle state_;
  int current_step_ = 0;
  std::string results_;
};

}  // namespace workflow
