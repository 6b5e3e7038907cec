#!/usr/bin/env bash
# Installs the Debian 12 packages tether needs, if any are missing. Needs
# root (or sudo) only when something must be installed.
set -euo pipefail

packages=(
  cmake make g++
  llvm-19-dev libclang-19-dev libclang-cpp19-dev clang-19
  libclang-rt-19-dev
  clang-tools-19  # clang-apply-replacements: the --export-fixes round trip test
  nlohmann-json3-dev libcli11-dev googletest libgtest-dev
  git python3 python3-jsonschema pre-commit
  python3-pylsp-jsonrpc  # the LSP client of tests/tool/lsp_test.py
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "tether: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "tether: need root to install ${missing[*]}" >&2; exit 2; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
