#!/usr/bin/env bash
# Single-core Ed25519 verify rate: plain C against Debian's libsodium (Benchmarks/c-baseline/verify_loop.c) versus
# GridCrypto's PublicKey.verify (the VerifyRate target of the nested Benchmarks package). Both sign one 150-byte
# message once and then verify it in a loop for DURATION seconds. Builds both in release mode, runs them
# interleaved (C, Swift, C, Swift, ...) ROUNDS times, and prints the medians and the Swift/C ratio.
#
# Usage: scripts/compare-verify.sh            (ROUNDS=3 DURATION=3 by default)
#        ROUNDS=5 DURATION=2 scripts/compare-verify.sh
# Run it on an otherwise idle machine: the loop is single-threaded, but other jobs still steal cycles.
set -euo pipefail

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
benchmarks="$root/Benchmarks"
c_binary="$benchmarks/.build/c-baseline/verify_loop"

echo "Building the C baseline (cc -O2, -lsodium)..."
mkdir -p "$(dirname "$c_binary")"
cc -O2 -o "$c_binary" "$benchmarks/c-baseline/verify_loop.c" -lsodium

echo "Building VerifyRate (swift build -c release)..."
swift build -c release --package-path "$benchmarks" --product VerifyRate >/dev/null
swift_binary="$(swift build -c release --package-path "$benchmarks" --show-bin-path)/VerifyRate"

# Extracts verifies_per_second=N from a result line.
rate() { sed -n 's/.*verifies_per_second=\([0-9.]*\).*/\1/p'; }

c_rates=()
swift_rates=()
for round in $(seq 1 "$ROUNDS"); do
    c_line="$("$c_binary" "$DURATION")"
    swift_line="$("$swift_binary" "$DURATION")"
    echo "round $round: $c_line"
    echo "round $round: $swift_line"
    c_rates+=("$(rate <<<"$c_line")")
    swift_rates+=("$(rate <<<"$swift_line")")
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
c_median="$(median "${c_rates[@]}")"
swift_median="$(median "${swift_rates[@]}")"

echo
printf '%-28s %12s verifies/s\n' "C libsodium (median of $ROUNDS)" "$c_median"
printf '%-28s %12s verifies/s\n' "Swift GridCrypto (median)" "$swift_median"
awk -v s="$swift_median" -v c="$c_median" 'BEGIN { printf "%-28s %12.3f\n", "Swift/C ratio", s / c }'
