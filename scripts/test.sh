#!/usr/bin/env bash
# Sets up the machine and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
bash scripts/validate-manifests.sh
FUZZ_OPTIONAL=1 FUZZ_SECONDS="${FUZZ_SECONDS:-3}" bash scripts/fuzz.sh all   # libFuzzer targets, 3 s each (docs/fuzzing.md)
