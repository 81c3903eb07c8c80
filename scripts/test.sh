#!/usr/bin/env bash
# Sets up the machine and runs the whole test suite. Each step's wall time goes to stderr at the end, so a slow
# run says where its time went.
set -euo pipefail
cd "$(dirname "$0")/.."
timings=()
step() {
    local name="$1" started=$SECONDS
    shift
    "$@"
    timings+=("$(printf '%-22s %5d s' "$name" $((SECONDS - started)))")
}
report() { printf 'test.sh: %s\n' "${timings[@]}" "$(printf '%-22s %5d s' total "$SECONDS")" >&2; }
trap report EXIT
step setup bash scripts/setup.sh
step "build (debug, tests)" swift build --build-tests
step "swift test" swift test --skip-build "$@"
step "manifests" bash scripts/validate-manifests.sh
# libFuzzer targets, 3 s each (docs/fuzzing.md)
step "fuzz (build + runs)" env FUZZ_OPTIONAL=1 FUZZ_SECONDS="${FUZZ_SECONDS:-3}" bash scripts/fuzz.sh all
