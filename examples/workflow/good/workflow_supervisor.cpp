#include "workflow_supervisor.hpp"

#include <cstdio>
#include <thread>

namespace workflow {

WorkflowSupervisor::WorkflowSupervisor(std::shared_ptr<FaultPlan> faults, tether::supervisor_options opts)
    : faults_(std::move(faults)), sup_(tether::dynamic_supervisor_flags{3, std::chrono::milliseconds(5000), 16},
                                       std::move(opts)) {}

tether::result<void> WorkflowSupervisor::start() { return sup_.start(); }

tether::result<tether::server_ref<WorkflowProcess>> WorkflowSupervisor::start_workflow(const WorkflowSpec& spec) {
  auto faults = faults_;
  auto child = tether::server_child<WorkflowProcess>(
      spec.id,
      [spec, faults](tether::child_context& ctx) { return std::make_unique<WorkflowProcess>(ctx, spec, faults); },
      {}, tether::restart_type::transient);
  auto p = sup_.start_child(std::move(child));
  if (!p) return std::move(p).error();
  return tether::server_ref<WorkflowProcess>::from(*p);
}

tether::result<std::string> WorkflowSupervisor::run_to_completion(const std::string& id,
                                                                  std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    auto wf = tether::whereis_server<WorkflowProcess>(sup_, id);
    if (!wf) {
      if (wf.is(tether::errc::no_process)) {  // being restarted right now: back off briefly
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      return std::move(wf).error();
    }
    auto reply = wf->call(StepRequest{}, std::chrono::milliseconds(500));
    if (reply) {
      if (reply->done) return reply->results;
      continue;
    }
    if (reply.is(tether::errc::crashed)) {
      std::printf("[%s] step CRASHED: %s; the supervisor restarts it\n", id.c_str(),
                  reply.error().message.c_str());
      continue;
    }
    if (reply.is(tether::errc::no_process)) continue;  // old incarnation; look up the new one
    return std::move(reply).error();
  }
  return tether::error(tether::errc::timeout, "workflow " + id + " did not finish in time");
}

tether::result<void> WorkflowSupervisor::finish(const std::string& id) { return sup_.terminate_child(id); }

void WorkflowSupervisor::stop() { sup_.stop(); }

}  // namespace workflow
