#!/usr/bin/env bash
# Usage: scripts/build.sh [build-dir] [extra cmake args...]
#
# Installs missing Debian packages (deps.sh), configures <build-dir>
# (default: build, relative to the repository root) when it is new or the
# arguments changed, and builds it with -j2. Default configure arguments:
# -DCMAKE_BUILD_TYPE=Release; extra arguments come after and override them.
# SLUICE_BUILD_TARGETS="a b" (environment) builds only those targets.
# Build output is kept in <build-dir>/build.log and shown on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=build
if (($# > 0)) && [[ $1 != -* ]]; then
  build_dir=$1
  shift
fi
args=(-DCMAKE_BUILD_TYPE=Release "$@")

./scripts/deps.sh

mkdir -p "$build_dir"
stamp="$build_dir/.sluice-configure-args"
wanted=$(printf '%s\n' "${args[@]}")
log="$build_dir/build.log"

if [[ ! -f $build_dir/CMakeCache.txt || ! -f $stamp ]] \
  || [[ $(cat "$stamp") != "$wanted" ]]; then
  echo "build.sh: configuring $build_dir (${args[*]})" >&2
  fresh=()
  [[ -f $build_dir/CMakeCache.txt ]] && fresh=(--fresh)
  rm -f "$stamp"
  if ! cmake "${fresh[@]}" -S . -B "$build_dir" "${args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: configuring $build_dir failed" >&2
    exit 1
  fi
  printf '%s\n' "$wanted" >"$stamp"
fi

targets=()
for t in ${SLUICE_BUILD_TARGETS:-}; do
  targets+=(--target "$t")
done
if ((${#targets[@]} > 0)); then
  # Re-run the globs first: a target whose source file is new since the last
  # configure is unknown to the build system until then.
  if ! cmake -S . -B "$build_dir" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.sh: configuring $build_dir failed" >&2
    exit 1
  fi
fi

echo "build.sh: building $build_dir" >&2
if ! cmake --build "$build_dir" -j2 "${targets[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "build.sh: building $build_dir failed (log: $build_dir/build.log)" >&2
  exit 1
fi
if grep -q 'warning:' "$log"; then
  grep -B2 -A6 'warning:' "$log" >&2 || true
  echo "build.sh: $build_dir built with warnings" >&2
fi
