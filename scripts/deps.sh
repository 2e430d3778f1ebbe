#!/usr/bin/env bash
# Installs the Debian 12 packages sluice needs to build and test.
# Quiet and idempotent: prints nothing when everything is installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# nlohmann-json3-dev: the policy_matrix test parses the sample's JSON output.
packages=(
  g++ cmake make
  libcaf-dev libboost-dev googletest libgtest-dev nlohmann-json3-dev
  clang-format
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${packages[@]}"; do
  if [[ $pkg == g++ ]] && installed build-essential; then
    continue
  fi
  installed "$pkg" || missing+=("$pkg")
done

((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "deps.sh: missing packages (${missing[*]}); run as root or install sudo" >&2
    exit 1
  fi
fi

echo "deps.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
