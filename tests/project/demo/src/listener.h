#pragma once

#include <string>

namespace base {
class TaskRunner;
}

// Accepts connections on the configured address and hands each request to
// the task runner.
void RunListener(const std::string& address, base::TaskRunner& runner);
void RunListenerSafely(const std::string& address, base::TaskRunner& runner);
