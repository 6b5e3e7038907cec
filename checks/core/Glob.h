//===--- Glob.h - clang-tidy style check globs ----------------------------===//
#ifndef TETHER_CHECKS_CORE_GLOB_H
#define TETHER_CHECKS_CORE_GLOB_H

#include <string>
#include <vector>

namespace tether {

/// A comma-separated list of globs in clang-tidy's syntax: "*" matches any
/// run of characters, a leading "-" removes, later globs override earlier
/// ones. "-*,spawn-*" enables only the spawn family.
class CheckGlobs {
public:
  /// Returns false and sets Error for an empty glob or an invalid character.
  bool parse(const std::string &Spec, std::string &Error);
  bool enabled(const std::string &CheckName) const;

private:
  struct Item {
    bool Positive;
    std::string Pattern;
  };
  std::vector<Item> Items;
};

bool globMatch(const std::string &Pattern, const std::string &Text);

} // namespace tether

#endif
