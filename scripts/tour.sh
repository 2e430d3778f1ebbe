#!/usr/bin/env bash
# Usage: scripts/tour.sh [policy_matrix args...]
#
# Builds sluice (build/, same configuration as scripts/test.sh so the two
# share one build) and runs the policy tour, build/samples/policy_matrix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sample=samples/policy_matrix
if [[ ! -f $sample.cpp ]]; then
  echo "tour.sh: $sample.cpp does not exist yet; nothing to run" >&2
  exit 1
fi

SLUICE_BUILD_TARGETS=policy_matrix ./scripts/build.sh build -DSLUICE_WERROR=ON

if [[ ! -x build/$sample ]]; then
  echo "tour.sh: build/$sample was not built" >&2
  exit 1
fi
exec "build/$sample" "$@"
