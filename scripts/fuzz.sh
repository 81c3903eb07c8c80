#!/usr/bin/env bash
# Coverage-guided fuzzing of GridLedger's decoders and parsers with libFuzzer (docs/fuzzing.md).
#
# Usage:
#   scripts/fuzz.sh list                 the targets and what each one fuzzes
#   scripts/fuzz.sh TARGET SECONDS       build (cached) and fuzz one target for SECONDS
#   scripts/fuzz.sh all [SECONDS]        each target in turn (SECONDS, else $FUZZ_SECONDS, else 5; 0 skips)
#   scripts/fuzz.sh build [TARGET]       build every target, or one
#   scripts/fuzz.sh seeds                regenerate the committed seed corpora, Fuzz/corpus/TARGET/
#
# FUZZ_OPT=1 builds and runs optimized targets (`-c release`, still `-sanitize=fuzzer,address` on every module)
# into .build-fuzz/release/: several times the executions per second, for long runs. The default, what
# scripts/test.sh runs, is the debug build in .build-fuzz/debug/.
#
# Targets live in Fuzz/ (a package of their own that depends on this one by path) and are built with
# `-sanitize=fuzzer,address` into .build-fuzz/. A run starts from a temporary copy of Fuzz/corpus/TARGET/, so the
# checkout stays clean, and prints the executions and executions per second. A crash or broken invariant stops the
# run: the input is kept in .build-fuzz/crashes/TARGET/ and the exit status is 1 (replay it with
# `.build-fuzz/debug/FuzzX FILE`). Extra libFuzzer flags: FUZZ_FLAGS="-fork=2 ..." (one corpus, 2 processes).
# FUZZ_CORPUS=DIR runs on DIR instead of a temporary copy (DIR/TARGET/, filled from the seeds when empty), so long
# runs carry their corpus from one run to the next.
#
# Exit status: 0 all runs clean, 1 a crash, 2 usage or build error, 130 interrupted (Ctrl-C). With FUZZ_OPTIONAL=1
# (as scripts/test.sh runs it), a toolchain that cannot build libFuzzer targets (no libFuzzer runtime, e.g. Xcode's)
# is reported and skipped with status 0.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALLER_DIR="$PWD"
cd "$ROOT" || exit 2
SCRATCH="$ROOT/.build-fuzz"
# Debug by default (what scripts/test.sh runs, a build every change already needs); FUZZ_OPT=1 for long runs.
case "${FUZZ_OPT:-0}" in
0) CONFIGURATION=debug ;;
1) CONFIGURATION=release ;;
*)
    echo "fuzz: FUZZ_OPT must be 0 or 1, got '${FUZZ_OPT}'" >&2
    exit 2
    ;;
esac
BIN="$SCRATCH/$CONFIGURATION"
CORPUS="$ROOT/Fuzz/corpus"

# name, product, what it fuzzes
TARGETS=(
    "wire|FuzzWire|wire codec: every peer and client frame (WireCodec.decode, decodeClient)"
    "ledger|FuzzLedger|ledger encodings: transaction, block header, block, quorum certificate, receipts"
    "consensus|FuzzConsensus|consensus messages of both chains, safety state; certificates checked against keys"
    "global|FuzzGlobal|commit entries, checkpoint payloads, messages, deliveries and parts (+InboundDelivery), notices, state"
    "contracts|FuzzContracts|contract arguments: programs of calls on the auction and voltage contracts"
    "topology|FuzzTopology|topology files: size, UTF-8, YAML, decoding, validation"
    "profiles|FuzzProfiles|machine profile JSON; household load and solar profiles"
    "live|FuzzLive|live runtime: length-prefixed framing on a stream, handshake decoding and proof"
    "genesis|FuzzGenesis|genesis and node config files, as a node loads them"
)

usage() {
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

product_of() {
    local entry
    for entry in "${TARGETS[@]}"; do
        IFS='|' read -r name product _ <<<"$entry"
        if [ "$name" = "$1" ]; then
            echo "$product"
            return 0
        fi
    done
    return 1
}

# Whether swiftc can link a libFuzzer target at all; prints why not.
toolchain_can_fuzz() {
    local probe
    probe="$(mktemp -d)"
    cat >"$probe/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput")
public func probe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { 0 }
EOF
    if swiftc -sanitize=fuzzer,address -parse-as-library "$probe/probe.swift" -o "$probe/probe" \
        >"$probe/log" 2>&1; then
        rm -rf "$probe"
        return 0
    fi
    echo "fuzz: this Swift toolchain cannot build libFuzzer targets (swiftc -sanitize=fuzzer,address failed):" >&2
    tail -3 "$probe/log" >&2
    rm -rf "$probe"
    return 1
}

# Whether the named products (all without arguments) are missing or older than any source they are built from.
# `swift build` would find out as well, but resolving the package graph alone takes a minute or more on a busy
# machine, too much for the test run's few seconds per target.
stale() {
    local products=("$@") product oldest=""
    if [ ${#products[@]} -eq 0 ]; then
        for entry in "${TARGETS[@]}"; do
            IFS='|' read -r _ product _ <<<"$entry"
            products+=("$product")
        done
    fi
    for product in "${products[@]}"; do
        [ -x "$BIN/$product" ] || return 0
        if [ -z "$oldest" ] || [ "$BIN/$product" -ot "$oldest" ]; then oldest="$BIN/$product"; fi
    done
    [ -n "$(find Sources Fuzz/Sources Fuzz/Package.swift Package.swift -newer "$oldest" -print -quit)" ]
}

build() {
    local products=()
    [ "${1:-}" = --product ] && products=("$2")
    if ! stale "${products[@]}"; then return 0; fi
    if ! toolchain_can_fuzz; then
        if [ "${FUZZ_OPTIONAL:-0}" = 1 ]; then
            echo "fuzz: skipped (FUZZ_OPTIONAL=1)" >&2
            exit 0
        fi
        exit 2
    fi
    local started log
    started=$(date +%s)
    log="$SCRATCH/build.log"
    mkdir -p "$SCRATCH"
    echo "fuzz: building $* ($CONFIGURATION, cached in .build-fuzz/; the first build takes several minutes)" >&2
    # The linker warns about every ASan helper symbol it cannot export; the log keeps them, the terminal not.
    # The sanitizer flags go through -Xswiftc in both configurations, so release builds instrument the decoders
    # as well; -c release only adds -O and whole-module optimization.
    if ! swift build -j "${FUZZ_BUILD_JOBS:-2}" -c "$CONFIGURATION" --package-path Fuzz --scratch-path "$SCRATCH" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library "$@" >"$log" 2>&1; then
        grep -v "Cannot export local symbol" "$log" | grep -E "error|warning: " | head -20 >&2
        echo "fuzz: build failed; full log in $log" >&2
        exit 2
    fi
    echo "fuzz: built in $(($(date +%s) - started)) s" >&2
}

run_one() {
    local name="$1" seconds="$2" product work corpus artifacts log status executions rate started elapsed
    product="$(product_of "$name")" || {
        echo "fuzz: unknown target '$name'; scripts/fuzz.sh list" >&2
        exit 2
    }
    work="$(mktemp -d)"
    corpus="$work/corpus"
    case "${FUZZ_CORPUS:-}" in
    "") ;;
    /*) corpus="$FUZZ_CORPUS/$name" ;;
    *) corpus="$CALLER_DIR/$FUZZ_CORPUS/$name" ;;
    esac
    mkdir -p "$corpus"
    if [ -d "$CORPUS/$name" ] && [ -z "$(ls -A "$corpus")" ]; then cp "$CORPUS/$name"/* "$corpus/" 2>/dev/null; fi
    artifacts="$SCRATCH/crashes/$name"
    mkdir -p "$artifacts"
    log="$SCRATCH/logs/$name.log"
    mkdir -p "$(dirname "$log")"
    # -timeout: an input taking 60 s is a hang worth a report. Not less: a topology with duplicate keys is
    # composed again per key, 0.5 s of CPU but over 10 s of wall time on this machine at a load of 24.
    # -rss_limit_mb: libFuzzer's default, stated.
    # -detect_leaks=0 and ASAN_OPTIONS: the Swift runtime's and Foundation's lazily filled caches look like
    # leaks, and checking after every input that allocates more than it frees (any input that starts a thread)
    # made the topology target 30 times slower. SWIFT_BACKTRACE: the Swift backtracer's memory reads trip ASan
    # and bury the real report.
    # malloc_context_size=0 in the long-run (release) mode: ASan records no stack per allocation, which was a
    # fifth of the topology target's time; detection is unchanged, and a report lacks only where the memory was
    # allocated (replay the input with the debug build for that).
    local asan="detect_leaks=0"
    [ "$CONFIGURATION" = release ] && asan="$asan:malloc_context_size=0"
    started=$(date +%s)
    # shellcheck disable=SC2086
    (cd "$work" && ASAN_OPTIONS="$asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" SWIFT_BACKTRACE=enable=no \
        "$BIN/$product" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus") >"$log" 2>&1
    status=$?
    # Measured, not asked for: -runs=N in FUZZ_FLAGS, or a crash, ends a run early.
    elapsed=$(($(date +%s) - started))
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    # -fork=N (several processes, one corpus) prints no final stats: its last status line counts every job's
    # executions, and the rate is taken over the whole run.
    if [ -z "$executions" ]; then
        executions=$(grep -o '^#[0-9]*: cov:' "$log" | grep -o '[0-9]*' | tail -1)
        [ -n "$executions" ] && [ "$elapsed" -gt 0 ] && rate=$((executions / elapsed))
    fi
    rm -rf "$work"
    if [ "$status" -ne 0 ] && grep -qE "libFuzzer: (run|a child was) interrupted" "$log"; then
        echo "fuzz $name: interrupted after ${executions:-?} executions ($elapsed s), no crash; log $log" >&2
        return 130
    fi
    if [ "$status" -ne 0 ]; then
        echo "fuzz $name: CRASH after ${executions:-?} executions ($elapsed s); input in $artifacts/, log $log" >&2
        grep -E "fuzz invariant broken|Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY" "$log" | head -5 >&2
        return 1
    fi
    printf 'fuzz %-10s %10s executions in %4s s (%s exec/s, %s build), no crash\n' "$name" "${executions:-?}" \
        "$elapsed" "${rate:-?}" "$CONFIGURATION"
}

[ $# -ge 1 ] || usage
case "$1" in
list)
    for entry in "${TARGETS[@]}"; do
        IFS='|' read -r name product what <<<"$entry"
        printf '%-10s %-14s %s\n' "$name" "$product" "$what"
    done
    ;;
build)
    if [ $# -ge 2 ]; then
        product="$(product_of "$2")" || {
            echo "fuzz: unknown target '$2'; scripts/fuzz.sh list" >&2
            exit 2
        }
        build --product "$product"
    else
        build
    fi
    ;;
seeds)
    build
    for entry in "${TARGETS[@]}"; do
        IFS='|' read -r name product _ <<<"$entry"
        rm -rf "${CORPUS:?}/$name"
        FUZZ_WRITE_SEEDS="$CORPUS/$name" "$BIN/$product" >/dev/null || exit 2
    done
    # Real files as well: the shipped topologies (but the 130 KiB wan-64) and machine profiles.
    for file in topologies/*.yaml; do
        [ "$(basename "$file")" = wan-64.yaml ] || cp "$file" "$CORPUS/topology/"
    done
    for file in profiles/*.json; do
        { printf '\0'; cat "$file"; } >"$CORPUS/profiles/machine-$(basename "$file")"
    done
    for entry in "${TARGETS[@]}"; do
        IFS='|' read -r name _ _ <<<"$entry"
        echo "seeds $name: $(find "$CORPUS/$name" -type f | wc -l) files, $(($(cat "$CORPUS/$name"/* | wc -c) / 1024)) KiB"
    done
    ;;
all)
    seconds="${2:-${FUZZ_SECONDS:-5}}"
    if [ "$seconds" = 0 ]; then
        echo "fuzz: skipped (0 seconds per target)" >&2
        exit 0
    fi
    [[ "$seconds" =~ ^[0-9]+$ ]] || {
        echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2
        exit 2
    }
    started=$(date +%s)
    build
    failed=0
    for entry in "${TARGETS[@]}"; do
        IFS='|' read -r name _ _ <<<"$entry"
        run_one "$name" "$seconds" || failed=1
    done
    echo "fuzz all: ${#TARGETS[@]} targets, $(($(date +%s) - started)) s in all including the build" >&2
    exit "$failed"
    ;;
-h | --help | help)
    usage
    ;;
*)
    [ $# -eq 2 ] || usage
    [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || {
        echo "fuzz: SECONDS must be a positive whole number, got '$2'" >&2
        exit 2
    }
    product_of "$1" >/dev/null || {
        echo "fuzz: unknown target '$1'; scripts/fuzz.sh list" >&2
        exit 2
    }
    build --product "$(product_of "$1")"
    run_one "$1" "$2"
    status=$?
    [ "$status" -eq 0 ] || exit $((status == 130 ? 130 : 1))
    ;;
esac
