//===--- CheckRegistry.h - The list of checks and their families ----------===//
#ifndef TETHER_CHECKS_CORE_CHECKREGISTRY_H
#define TETHER_CHECKS_CORE_CHECKREGISTRY_H

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tether {

class Check;
class CheckContext;

/// How much a check's findings can be trusted, as clazy's levels: users pick
/// by false-positive rate.
enum class Confidence { High, Medium, Low };

struct CheckDescriptor {
  std::string Name;     ///< "spawn-detached-thread"
  std::string Summary;  ///< one sentence, the same as the docs page opens with
  Confidence Level = Confidence::High;
  std::function<std::unique_ptr<Check>(CheckContext &)> Create;

  /// The family is the name's first component ("spawn").
  std::string family() const { return Name.substr(0, Name.find('-')); }
};

/// Every check, in registration order. Built by registerAllChecks(); no
/// static registration, so two registries never share state.
class CheckRegistry {
public:
  template <typename CheckT>
  void add(std::string Name, std::string Summary,
           Confidence Level = Confidence::High) {
    std::string N = Name;
    Checks.push_back({std::move(Name), std::move(Summary), Level,
                      [N](CheckContext &Ctx) -> std::unique_ptr<Check> {
                        return std::make_unique<CheckT>(N, Ctx);
                      }});
  }
  const std::vector<CheckDescriptor> &checks() const { return Checks; }
  const CheckDescriptor *find(const std::string &Name) const;

private:
  std::vector<CheckDescriptor> Checks;
};

/// Registers every family module: spawn, send, global, observability,
/// supervision.
void registerAllChecks(CheckRegistry &Registry);

} // namespace tether

#endif
