#include "base/dispatcher.h"

#include <utility>

namespace base {

// Wraps the work so that the runner's queue sees one kind of task.
void RunnerDispatcher::RunLater(std::function<void()> work) {
  runner_.PostTask([work = std::move(work)] { work(); });
}

}  // namespace base
