//===--- Progress.cpp - One line per finished translation unit ------------===//

#include "Progress.h"

namespace tether {

void Progress::fileDone(const std::string &File, size_t Done, size_t Total) {
  if (Total < 2)
    return;
  std::lock_guard<std::mutex> Lock(Mu);
  std::string Line =
      "[" + std::to_string(Done) + "/" + std::to_string(Total) + "] " + File;
  if (Terminal) {
    OS << "\r\033[K" << Line << std::flush;
    LineOpen = true;
  } else {
    OS << Line << "\n" << std::flush;
  }
}

void Progress::finish() {
  std::lock_guard<std::mutex> Lock(Mu);
  if (LineOpen)
    OS << "\r\033[K" << std::flush;
  LineOpen = false;
}

} // namespace tether
