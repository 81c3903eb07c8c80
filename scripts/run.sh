#!/usr/bin/env bash
# Sets up the machine, builds in release mode and runs the main job: the default topology, results in out/default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product gridledger
exec .build/release/gridledger run "$@"
