//===--- Progress.h - One line per finished translation unit --------------===//
//
// "[3/120] src/foo.cpp" on stderr after each translation unit of a run of
// several: one line each in a log, or a single line rewritten in place on a
// terminal. Silenced by --quiet.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_PROGRESS_H
#define TETHER_TOOL_PROGRESS_H

#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>

namespace tether {

class Progress {
public:
  Progress(std::ostream &OS, bool Terminal) : OS(OS), Terminal(Terminal) {}
  /// Thread-safe. Prints nothing for a run of a single translation unit.
  void fileDone(const std::string &File, size_t Done, size_t Total);
  /// Clears the in-place line, if any.
  void finish();

private:
  std::ostream &OS;
  bool Terminal;
  bool LineOpen = false; // guarded by Mu
  std::mutex Mu;
};

} // namespace tether

#endif
