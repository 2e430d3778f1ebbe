#!/usr/bin/env bash
# Usage: scripts/test.sh
#
# The full test suite (what CI runs, via .ci/run):
#   format      clang-format --dry-run --Werror over the project's sources
#   build/tests build/ (Release, SLUICE_WERROR=ON) and ctest there
#   tsan-*      build-tsan/: the CAF-free core and core_*_test.cpp under
#               ThreadSanitizer (SLUICE_CORE_ONLY=ON), ctest there
# Every stage runs even if an earlier one failed; the last line summarises.
# Exits non-zero if any stage failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/deps.sh

results=()
failed=0
record() { # record <stage> <exit status>
  if (($2 == 0)); then
    results+=("$1 ok")
  else
    results+=("$1 FAILED")
    failed=1
  fi
}

# -- format --------------------------------------------------------------------
if command -v clang-format >/dev/null 2>&1; then
  files=()
  while IFS= read -r -d '' f; do
    files+=("$f")
  done < <(find runtime actors policies samples tests bench -type f \
    \( -name '*.cpp' -o -name '*.hpp' \) -print0 2>/dev/null | sort -z)
  [[ -f sluice.hpp ]] && files+=(sluice.hpp)
  unformatted=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
  done
  if ((${#unformatted[@]} > 0)); then
    echo "test.sh: these files need clang-format -i:" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    record format 1
  else
    record format 0
  fi
else
  echo "test.sh: clang-format not installed; format check skipped" >&2
  results+=("format skipped")
fi

# -- Release build and all tests ------------------------------------------------
status=0
./scripts/build.sh build -DSLUICE_WERROR=ON || status=$?
record build "$status"
if ((status == 0)); then
  status=0
  ctest --test-dir build --output-on-failure --no-tests=error -j2 || status=$?
  record tests "$status"
else
  results+=("tests skipped")
fi

# -- ThreadSanitizer build of the CAF-free core --------------------------------
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
# GCC 12's TSan runtime cannot map its shadow memory when the kernel
# randomises mmap with more than 28 bits; run without ASLR then.
no_aslr=()
rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
if ((rnd_bits > 28)) && setarch "$(uname -m)" -R true 2>/dev/null; then
  no_aslr=(setarch "$(uname -m)" -R)
fi

status=0
"${no_aslr[@]}" ./scripts/build.sh build-tsan -DSLUICE_CORE_ONLY=ON \
  -DSLUICE_SANITIZERS=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=$?
record tsan-build "$status"
if ((status == 0)); then
  no_tests=ignore
  compgen -G 'tests/core_*_test.cpp' >/dev/null && no_tests=error
  status=0
  "${no_aslr[@]}" ctest --test-dir build-tsan --output-on-failure \
    --no-tests="$no_tests" -j2 || status=$?
  record tsan-tests "$status"
else
  results+=("tsan-tests skipped")
fi

# -- summary --------------------------------------------------------------------
summary=$(IFS=,; echo "${results[*]}")
if ((failed)); then
  echo "test.sh: FAIL (${summary//,/, })"
  exit 1
fi
echo "test.sh: PASS (${summary//,/, })"
