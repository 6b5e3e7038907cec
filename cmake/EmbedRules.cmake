# Writes OUT: a C++ file that holds every rule pack in PACKS as a string, so
# the tether binary needs no data files at run time.
string(REPLACE "|" ";" PACKS "${PACKS}")
set(body "")
foreach(pack IN LISTS PACKS)
  file(READ "${pack}" text)
  get_filename_component(name "${pack}" NAME)
  string(FIND "${text}" ")tether_rules\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${pack} contains the raw-string delimiter")
  endif()
  string(APPEND body "    {\"${name}\", R\"tether_rules(${text})tether_rules\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from rules/*.json by cmake/EmbedRules.cmake. Do not edit.
#include \"core/Rules.h\"
namespace tether {
const std::vector<BuiltinPack> &builtinRulePacks() {
  static const std::vector<BuiltinPack> Packs = {
${body}  };
  return Packs;
}
} // namespace tether
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
