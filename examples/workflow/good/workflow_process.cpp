#include "workflow_process.hpp"

#include <cstdio>
#include <stdexcept>

namespace workflow {

WorkflowProcess::WorkflowProcess(tether::child_context& ctx, WorkflowSpec spec,
                                 std::shared_ptr<FaultPlan> faults)
    : spec_(std::move(spec)), faults_(std::move(faults)), state_(ctx.state()) {
  current_step_ = std::stoi(state_.get_or("current_step", "0"));
  results_ = state_.get_or("results", "");
  if (ctx.restarts() > 0) {
    std::printf("[%s] resumed from saved step %d after restart #%llu (results so far: %s)\n",
                spec_.id.c_str(), current_step_, static_cast<unsigned long long>(ctx.restarts()),
                results_.c_str());
  } else {
    std::printf("[%s] started at step %d\n", spec_.id.c_str(), current_step_);
  }
}

StepReply WorkflowProcess::handle_call(const StepRequest&) {
  if (current_step_ < spec_.steps) {
    if (faults_->should_fail(spec_.id, current_step_))
      throw std::runtime_error("simulated failure in step " + std::to_string(current_step_));
    results_ += "s" + std::to_string(current_step_) + ";";
    ++current_step_;
    // Persist before acknowledging: a crash after this point resumes here.
    auto saved = state_.put_many({{"current_step", std::to_string(current_step_)}, {"results", results_}});
    if (!saved) throw std::runtime_error("could not persist progress: " + saved.error().describe());
  }
  return StepReply{current_step_, spec_.steps, current_step_ >= spec_.steps, results_};
}

}  // namespace workflow
