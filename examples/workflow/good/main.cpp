// examples/workflow/good/main.cpp - the coordinator on the tether runtime.
//
// Compared with bad/coordinator.cpp: no detached threads (workflows are
// supervised servers, drivers are supervised tasks that are awaited), no
// mutable globals (each WorkflowProcess owns its state and persists it to
// the supervisor's state store), no telemetry-as-control-flow (completion is
// the awaited task result), no swallowed exceptions (a crash is a typed
// errc::crashed, the process is restarted and resumes from its saved step).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <tether/tether.hpp>

#include "workflow_supervisor.hpp"

int main() {
  using namespace std::chrono_literals;
  auto faults = std::make_shared<workflow::FaultPlan>("wf-2", 3);

  tether::supervisor_options opts;
  opts.name = "workflows";
  opts.on_report = [](const tether::supervisor_report& r) {
    if (r.kind == tether::report_kind::child_exited && r.reason.is_failure())
      std::printf("[supervisor] %s exited: %s\n", r.child.c_str(), r.reason.describe().c_str());
    else if (r.kind == tether::report_kind::child_restarted)
      std::printf("[supervisor] restarted %s\n", r.child.c_str());
    else if (r.kind != tether::report_kind::child_exited)
      std::printf("[supervisor] %s %s: %s\n", std::string(tether::to_string(r.kind)).c_str(), r.child.c_str(),
                  r.message.c_str());
  };
  workflow::WorkflowSupervisor workflows(faults, opts);
  if (auto s = workflows.start(); !s) {
    std::fprintf(stderr, "cannot start: %s\n", s.error().describe().c_str());
    return 1;
  }

  const std::vector<std::string> ids{"wf-1", "wf-2", "wf-3"};
  for (const auto& id : ids) {
    if (auto w = workflows.start_workflow({id, 5}); !w) {
      std::fprintf(stderr, "cannot start %s: %s\n", id.c_str(), w.error().describe().c_str());
      return 1;
    }
  }

  tether::task_supervisor drivers(tether::task_options{"drivers", 8, 1000ms, {}});
  std::vector<tether::task<tether::result<std::string>>> running;
  for (const auto& id : ids)
    running.push_back(drivers.async([&workflows, id] { return workflows.run_to_completion(id, 1500ms); }, id));

  int failures = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto outcome = running[i].await(1800ms);
    if (!outcome || !*outcome) {
      std::printf("[%s] FAILED: %s\n", ids[i].c_str(),
                  !outcome ? outcome.error().describe().c_str() : outcome->error().describe().c_str());
      ++failures;
      continue;
    }
    std::printf("[%s] completed: %s\n", ids[i].c_str(), (*outcome)->c_str());
    (void)workflows.finish(ids[i]);
  }
  drivers.shutdown();
  workflows.stop();
  std::printf("%s: %d of %zu workflows completed (wf-2 crashed once and resumed)\n",
              failures == 0 ? "OK" : "FAILED", static_cast<int>(ids.size()) - failures, ids.size());
  return failures == 0 ? 0 : 1;
}
