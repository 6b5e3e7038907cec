//===--- Diagnostic.cpp - Ordering, de-duplication, fingerprints ----------===//

#include "Diagnostic.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

namespace tether {

static auto key(const Diagnostic &D) {
  return std::tie(D.Pos.File, D.Pos.Line, D.Pos.Column, D.Check, D.Message);
}

bool operator<(const Diagnostic &A, const Diagnostic &B) {
  return key(A) < key(B);
}

static uint64_t fnv1a(uint64_t H, const std::string &S) {
  for (unsigned char C : S) {
    H ^= C;
    H *= 0x100000001b3ULL;
  }
  H ^= 0xff; // field separator
  H *= 0x100000001b3ULL;
  return H;
}

static std::string collapseSpace(const std::string &S) {
  std::string Out;
  bool Space = false;
  for (char C : S) {
    if (C == ' ' || C == '\t' || C == '\r') {
      Space = !Out.empty();
      continue;
    }
    if (Space)
      Out += ' ';
    Space = false;
    Out += C;
  }
  return Out;
}

static std::string stripDotSlash(std::string P) {
  while (P.rfind("./", 0) == 0)
    P.erase(0, 2);
  return P;
}

void normalizeDiagnostics(std::vector<Diagnostic> &Diags) {
  std::stable_sort(Diags.begin(), Diags.end());
  Diags.erase(std::unique(Diags.begin(), Diags.end(),
                          [](const Diagnostic &A, const Diagnostic &B) {
                            return key(A) == key(B);
                          }),
              Diags.end());
  // The fingerprint leaves out line and column on purpose: it hashes the
  // check, the file, the enclosing declaration, the normalized text of the
  // line and the message, plus an occurrence index for identical tuples.
  std::map<uint64_t, unsigned> Seen;
  for (Diagnostic &D : Diags) {
    uint64_t H = 0xcbf29ce484222325ULL;
    H = fnv1a(H, D.Check);
    H = fnv1a(H, stripDotSlash(D.Pos.DisplayFile));
    H = fnv1a(H, D.Context);
    H = fnv1a(H, collapseSpace(D.SourceLine));
    H = fnv1a(H, D.Message);
    unsigned Index = Seen[H]++;
    H = fnv1a(H, std::to_string(Index));
    char Buf[17];
    std::snprintf(Buf, sizeof Buf, "%016llx", (unsigned long long)H);
    D.Fingerprint = Buf;
  }
}

} // namespace tether
