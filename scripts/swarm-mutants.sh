#!/usr/bin/env bash
# Which deliberately broken consensus rules does the swarm catch, and after how many seeds?
#
# Each mutant weakens one voting, commit or certificate rule with an exact text replacement (some of
# scripts/mutants.sh, plus swarm-only ones), checked to match exactly once. The file is mutated in place only while
# `gridledger` builds in release mode under SCRATCH (its own build directory, so .build is never a mutant), then
# restored from a copy (on every exit path too; `git diff` confirms it), and
# `SCRATCH/release/gridledger swarm --seeds N --stop-on-failure` runs against the mutant. A mutant is "found" when a seed fails; the table
# gives the first failing seed's position and its verdict.
#
# Usage:
#   scripts/swarm-mutants.sh [--seeds N] [--jobs J] [--beyond-f] [NAME...]   (default: 400 seeds, 2 jobs, all)
#   scripts/swarm-mutants.sh --list
#
# SCRATCH defaults to .build-mutant (SWARM_MUTANT_DIR overrides). The first build there is a full release build;
# each mutant after that rebuilds the modules above the one it changes. Logs and swarm output: SCRATCH/swarm-mutants. Exits 1 if a mutant survived or did not build.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
SCRATCH="${SWARM_MUTANT_DIR:-$ROOT/.build-mutant}"
SEEDS=400
JOBS=2
BEYOND=""

NAMES=()
FILES=()
OLDS=()
NEWS=()
mutant() {
    NAMES+=("$1")
    FILES+=("$2")
    OLDS+=("$3")
    NEWS+=("$4")
}

REPLICA=Sources/GridConsensus/Replica.swift
QC=Sources/GridLedger/QuorumCertificate.swift
# --- Commit rule ---
mutant replica-two-chain-consecutive-rounds "$REPLICA" \
    'if certified.justify.view + 1 == certified.round, certified.parentHash != committedTip.hash,' \
    'if certified.parentHash != committedTip.hash,'
mutant replica-one-chain-commit "$REPLICA" \
    'commitChain(upTo: certified.parentHash, certificate: certified.justify, &actions, &work)' \
    'commitChain(upTo: certified.hash, certificate: certificate, &actions, &work)'
# --- Voting rules ---
mutant replica-vote-once-per-round "$REPLICA" \
    'guard round > lastVotedRound, extendsQC || extendsTC else {' \
    'guard extendsQC || extendsTC else {'
mutant replica-vote-extends-any "$REPLICA" \
    'guard round > lastVotedRound, extendsQC || extendsTC else {' \
    'guard round > lastVotedRound else {'
mutant replica-tc-covers-high-qc "$REPLICA" \
    'let extendsTC = tc.map { $0.round + 1 == round && block.justify.view >= $0.highestReportedQCRound } ?? false' \
    'let extendsTC = tc.map { $0.round + 1 == round } ?? false'
mutant replica-safety-state-restored "$REPLICA" \
    'self.lastVotedRound = safety?.lastVotedRound ?? 0' \
    'self.lastVotedRound = 0'
# --- Certificates ---
mutant qc-quorum "$QC" \
    'guard votes.count >= need else { throw .tooFewVotes(have: votes.count, need: need) }' \
    'guard votes.count >= need - 1 else { throw .tooFewVotes(have: votes.count, need: need) }'
mutant replica-qc-forms-early "$REPLICA" \
    'guard let collected = votes[data.view]?[data.blockHash], collected.count == validators.quorum else { return }' \
    'guard let collected = votes[data.view]?[data.blockHash], collected.count == validators.quorum - 1 else { return }'
mutant replica-tc-forms-early "$REPLICA" \
    'guard collected.count >= validators.quorum, round >= currentRound else { return }' \
    'guard collected.count >= validators.quorum - 1, round >= currentRound else { return }'
mutant replica-tc-highest-qc "$REPLICA" \
    'let high = messages.map(\.highQC).max { $0.view < $1.view } ?? highQC' \
    'let high = messages.map(\.highQC).min { $0.view < $1.view } ?? highQC'

SELECTED=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --list)
        printf '%s\n' "${NAMES[@]}"
        exit 0
        ;;
    --seeds)
        SEEDS="$2"
        shift
        ;;
    --jobs)
        JOBS="$2"
        shift
        ;;
    --beyond-f) BEYOND="--beyond-f" ;;
    -h | --help)
        sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "unknown option $1" >&2
        exit 2
        ;;
    *)
        found=""
        for index in "${!NAMES[@]}"; do [[ "${NAMES[$index]}" == "$1" ]] && found=$index; done
        if [[ -z "$found" ]]; then
            echo "unknown mutant '$1' (see --list)" >&2
            exit 2
        fi
        SELECTED+=("$found")
        ;;
    esac
    shift
done
if [[ ${#SELECTED[@]} -eq 0 ]]; then SELECTED=("${!NAMES[@]}"); fi
# shellcheck source=scripts/lib/mutation.sh
source "$ROOT/scripts/lib/mutation.sh"
mutation_require_clean
BUILD="$SCRATCH"
LOGS="$SCRATCH/swarm-mutants"
mkdir -p "$LOGS"

RESULTS=()
PROBLEMS=0
for index in "${SELECTED[@]}"; do
    name="${NAMES[$index]}"
    echo "== $name"
    if ! mutation_apply "${FILES[$index]}" "${OLDS[$index]}" "${NEWS[$index]}"; then
        RESULTS+=("$(printf '%-38s %-12s %s' "$name" "NOT APPLIED" "text not found exactly once")")
        PROBLEMS=$((PROBLEMS + 1))
        continue
    fi
    started=$(date +%s)
    build_ok=1
    swift build -c release -j 2 --product gridledger --scratch-path "$BUILD" > "$LOGS/$name.build.log" 2>&1 || build_ok=0
    # The binary is built: the checkout goes back to HEAD before the (long) swarm runs.
    restore
    if [[ $build_ok -eq 0 ]]; then
        RESULTS+=("$(printf '%-38s %-12s %s' "$name" "BUILD FAILED" "see $LOGS/$name.build.log")")
        PROBLEMS=$((PROBLEMS + 1))
        continue
    fi
    built=$(date +%s)
    out="$LOGS/$name"
    rm -rf "$out"
    # shellcheck disable=SC2086
    "$BUILD/release/gridledger" swarm --seeds "$SEEDS" --jobs "$JOBS" --out "$out" --stop-on-failure $BEYOND \
        > "$LOGS/$name.swarm.log" 2>&1
    finished=$(date +%s)
    verdict="$(python3 - "$out/swarm.json" << 'PY'
import json, sys
try:
    summary = json.load(open(sys.argv[1]))
except Exception as error:
    print(f"ERROR no summary ({error})")
    sys.exit()
failures = summary["failures"]
if not failures:
    print(f"SURVIVED {summary['seeds']} seeds passed")
else:
    first = min(failures, key=lambda f: f["seed"])
    position = first["seed"] - summary["fromSeed"] + 1
    print(f"found seed {first['seed']} (after {position} seeds): {first['verdict']}: {first['detail'][:110]}")
PY
)"
    case "$verdict" in
    SURVIVED* | ERROR*) PROBLEMS=$((PROBLEMS + 1)) ;;
    esac
    RESULTS+=("$(printf '%-38s %s  [build %ds, swarm %ds]' "$name" "$verdict" $((built - started)) $((finished - built)))")
    echo "   ${RESULTS[-1]}"
done

mutation_check_restored
echo
echo "swarm against broken builds ($SEEDS seeds at most, $JOBS jobs${BEYOND:+, beyond f})"
printf '%s\n' "${RESULTS[@]}"
[[ $PROBLEMS -eq 0 ]]
