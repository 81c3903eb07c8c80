#!/usr/bin/env bash
# A machine profile with the live runtime's own costs: `gridledger calibrate` measures the priced operations by
# microbenchmarks, then fits what the live nodes spend beyond them (runtimeNanosPerTransaction, per store commit)
# to live runs of the default topology on this machine, one per offered rate, from idle to near saturation.
#
#   bash scripts/calibrate-live.sh                       # writes out/calibrate-live/profile.json
#   RATES="5 500 2000 4000" OUT=DIR DURATION_SECONDS=10 bash scripts/calibrate-live.sh
#
# The rates must straddle this machine's load: a light one (many small blocks), a heavy one below saturation (few
# large blocks), and an idle one, so that the per-transaction, per-commit and per-second terms separate. Use the
# profile with `gridledger run --profile out/calibrate-live/profile.json`, or FIDELITY_PROFILE for
# scripts/fidelity.sh. The runs stay in OUT for `gridledger calibrate --from-live` to be re-run on.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out/calibrate-live}
rates=${RATES:-5 500 2000 4000}
duration=${DURATION_SECONDS:-10}
for rate in $rates; do
    [[ $rate =~ ^[0-9]+$ ]] && [ "$rate" -ge 1 ] && [ "$rate" -le 1000000 ] ||
        { echo "calibrate-live: RATES: each rate must be a whole number in 1...1000000 tx/s, got '$rate'" >&2; exit 2; }
done
[[ $duration =~ ^[0-9]+$ ]] && [ "$duration" -ge 2 ] && [ "$duration" -le 600 ] ||
    { echo "calibrate-live: DURATION_SECONDS must be a whole number in 2...600, got '$duration'" >&2; exit 2; }
bash scripts/setup.sh >/dev/null
swift build -c release --product gridledger >/dev/null
bin=.build/release/gridledger
mkdir -p "$out"
from=()
for rate in $rates; do
    rm -rf "$out/live-$rate"
    "$bin" run topologies/default.yaml --runtime live --rate "$rate" --duration "$duration" --quiet \
        --out "$out/live-$rate" >/dev/null
    echo "calibrate-live: live default at $rate tx/s done ($out/live-$rate)" >&2
    from+=(--from-live "$out/live-$rate")
done
"$bin" calibrate --out "$out/profile.json" --store-dir "$out" "${from[@]}"
