//===--- Glob.cpp - clang-tidy style check globs --------------------------===//

#include "Glob.h"

#include <cctype>

namespace tether {

bool globMatch(const std::string &P, const std::string &T) {
  // Iterative wildcard match with backtracking on the last '*'.
  size_t Pi = 0, Ti = 0, Star = std::string::npos, Mark = 0;
  while (Ti < T.size()) {
    if (Pi < P.size() && P[Pi] == '*') {
      Star = Pi++;
      Mark = Ti;
    } else if (Pi < P.size() && P[Pi] == T[Ti]) {
      ++Pi;
      ++Ti;
    } else if (Star != std::string::npos) {
      Pi = Star + 1;
      Ti = ++Mark;
    } else {
      return false;
    }
  }
  while (Pi < P.size() && P[Pi] == '*')
    ++Pi;
  return Pi == P.size();
}

static std::string trim(const std::string &S) {
  size_t B = 0, E = S.size();
  while (B < E && std::isspace(static_cast<unsigned char>(S[B])))
    ++B;
  while (E > B && std::isspace(static_cast<unsigned char>(S[E - 1])))
    --E;
  return S.substr(B, E - B);
}

bool CheckGlobs::parse(const std::string &Spec, std::string &Error) {
  Items.clear();
  size_t Start = 0;
  while (Start <= Spec.size()) {
    size_t Comma = Spec.find(',', Start);
    std::string Part = trim(Spec.substr(
        Start, Comma == std::string::npos ? std::string::npos : Comma - Start));
    Start = Comma == std::string::npos ? Spec.size() + 1 : Comma + 1;
    if (Part.empty())
      continue; // "a,,b" and a trailing comma are harmless, as in clang-tidy
    Item I{true, Part};
    if (Part[0] == '-') {
      I.Positive = false;
      I.Pattern = trim(Part.substr(1));
    }
    if (I.Pattern.empty()) {
      Error = "invalid check glob '" + Part + "'";
      return false;
    }
    for (char C : I.Pattern)
      if (!(std::isalnum(static_cast<unsigned char>(C)) || C == '-' ||
            C == '_' || C == '*' || C == '.')) {
        Error = "invalid character '" + std::string(1, C) +
                "' in check glob '" + Part + "'";
        return false;
      }
    Items.push_back(I);
  }
  return true;
}

bool CheckGlobs::enabled(const std::string &Name) const {
  bool On = false;
  for (const Item &I : Items)
    if (globMatch(I.Pattern, Name))
      On = I.Positive;
  return On;
}

} // namespace tether
