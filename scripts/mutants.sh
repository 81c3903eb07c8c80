#!/usr/bin/env bash
# Mutation testing of GridLedger's safety and validity rules.
#
# Each mutant weakens one rule with an exact text replacement (checked to match exactly once), builds, runs the
# tests that should notice, and records whether they did (killed) or not (survived). The mutated file is always
# restored: from a copy taken before the change, on every exit path (trap), and `git diff --quiet` confirms that
# Sources/ is back as it was before the script finishes.
#
# Usage:
#   scripts/mutants.sh --list          list the mutants
#   scripts/mutants.sh --check         check that every mutant's text still matches exactly once (no build)
#   scripts/mutants.sh NAME [NAME...]  run the named mutants
#   scripts/mutants.sh                 run all of them
#
# Prints a table and "killed N of M"; exits 1 if any mutant survived or did not build (a mutant that does not
# compile tests nothing), 2 on a usage or setup error. Logs go to .build/mutants/ (MUTANTS_LOG_DIR overrides).
# Each mutant costs an incremental build (about a minute or two) plus its test filters; the last step rebuilds
# the unmutated sources so that the build directory matches the checkout again (skip with --no-rebuild).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
LOG_DIR="${MUTANTS_LOG_DIR:-$ROOT/.build/mutants}"

NAMES=()
FILES=()
FILTERS=()
OLDS=()
NEWS=()

# mutant NAME FILE TEST-FILTER OLD NEW
mutant() {
    NAMES+=("$1")
    FILES+=("$2")
    FILTERS+=("$3")
    OLDS+=("$4")
    NEWS+=("$5")
}

REPLICA=Sources/GridConsensus/Replica.swift
CONSENSUS_TESTS='GridConsensusTests'

# --- Quorum certificates: one rule, used by the replica, the committee and the inbound contract ---
QC=Sources/GridLedger/QuorumCertificate.swift
QC_TESTS='GridConsensusTests|GridGlobalTests|GridLedgerTests'
mutant qc-quorum "$QC" "$QC_TESTS" \
    'guard votes.count >= need else { throw .tooFewVotes(have: votes.count, need: need) }' \
    'guard votes.count >= need - 1 else { throw .tooFewVotes(have: votes.count, need: need) }'
mutant qc-distinct-voters "$QC" "$QC_TESTS" \
    'guard seen.insert(vote.validatorIndex).inserted else { throw .duplicateVote(index: vote.validatorIndex) }' \
    'guard seen.insert(vote.validatorIndex).inserted || true else { throw .duplicateVote(index: vote.validatorIndex) }'
mutant qc-genesis-keys "$QC" "$QC_TESTS" \
    'guard checkSignature(vote.signature, validators[Int(vote.validatorIndex)], message) else {' \
    'guard checkSignature(vote.signature, validators[Int(vote.validatorIndex)], message) || true else {'

# --- Consensus (Jolteon replica) ---
mutant replica-vote-once-per-round "$REPLICA" "$CONSENSUS_TESTS" \
    'guard round > lastVotedRound, extendsQC || extendsTC else {' \
    'guard extendsQC || extendsTC else {'
mutant replica-two-chain-consecutive-rounds "$REPLICA" "$CONSENSUS_TESTS" \
    'if certified.justify.view + 1 == certified.round, certified.parentHash != committedTip.hash,' \
    'if certified.parentHash != committedTip.hash,'
mutant replica-tc-covers-high-qc "$REPLICA" "$CONSENSUS_TESTS" \
    'let extendsTC = tc.map { $0.round + 1 == round && block.justify.view >= $0.highestReportedQCRound } ?? false' \
    'let extendsTC = tc.map { $0.round + 1 == round } ?? false'
mutant replica-tc-quorum "$REPLICA" "$CONSENSUS_TESTS" \
    $'        guard certificate.votes.count >= validators.quorum else {\n            return ConsensusRejection("bad-timeout-certificate"' \
    $'        guard certificate.votes.count >= validators.quorum - 1 else {\n            return ConsensusRejection("bad-timeout-certificate"'
mutant replica-timeout-join-needs-f-plus-1 "$REPLICA" "$CONSENSUS_TESTS" \
    'if collected.count >= validators.weakQuorum, round == currentRound, timedOutRound < round {' \
    'if collected.count >= 1, round == currentRound, timedOutRound < round {'
mutant replica-safety-state-restored "$REPLICA" "$CONSENSUS_TESTS" \
    'self.lastVotedRound = safety?.lastVotedRound ?? 0' \
    'self.lastVotedRound = 0'
mutant replica-sync-size-limit "$REPLICA" "$CONSENSUS_TESTS" \
    'guard response.blocks.count <= configuration.timing.syncBlocksMax else {' \
    'guard response.blocks.count <= configuration.timing.syncBlocksMax + 1 else {'
mutant replica-backoff-resets-on-progress "$REPLICA" "$CONSENSUS_TESTS" \
    'consecutiveTimeouts = viaTimeout ? consecutiveTimeouts + 1 : 0' \
    'consecutiveTimeouts = viaTimeout ? consecutiveTimeouts + 1 : consecutiveTimeouts'
mutant replica-timeout-carries-last-tc "$REPLICA" "$CONSENSUS_TESTS" \
    'lastTimeoutCertificate: lastTimeoutCertificate.flatMap { $0.round + 1 == round ? $0 : nil }' \
    'lastTimeoutCertificate: nil'
mutant replica-carried-tc-checked "$REPLICA" "$CONSENSUS_TESTS" \
    'if let failure = verifyTimeoutCertificate(certificate, &work) {' \
    'if let failure = verifyTimeoutCertificate(certificate, &work), certificate.round == .max {'
mutant replica-answers-stale-timeout "$REPLICA" "$CONSENSUS_TESTS" \
    'staleTimeoutsAnswered[sender] != vote.round' \
    'staleTimeoutsAnswered[sender] != vote.round, sender == Int.max'
mutant replica-leader-reputation "$REPLICA" "$CONSENSUS_TESTS" \
    'guard window.count >= reputationWindow else { return validators.leader(ofRound: place) }' \
    'guard window.count >= reputationWindow + 1 else { return validators.leader(ofRound: place) }'
mutant replica-rotation-after-timeout "$REPLICA" "$CONSENSUS_TESTS" \
    'parentRound &+ 1 == round ? round : round &+ 1' \
    'round'
mutant replica-reputation-gap "$REPLICA" "$CONSENSUS_TESTS" \
    'round - parentBlock.justify.view - 2 <= Self.reputationGapRoundsMax' \
    'round - parentBlock.justify.view - 2 <= Self.reputationGapRoundsMax + 1_000'
mutant replica-sync-own-highqc "$REPLICA" "$CONSENSUS_TESTS" \
    'var certifiedBy: [Hash256: QuorumCertificate] = [highQC.blockHash: highQC]' \
    'var certifiedBy: [Hash256: QuorumCertificate] = [:]'
mutant replica-sync-ends-on-progress "$REPLICA" "$CONSENSUS_TESTS" \
    'if tree.count != before.blocks || committedHeight != before.committed || highQC.view != before.highQCView {' \
    'if tree.count != before.blocks || committedHeight != before.committed || highQC.view != before.highQCView || true {'

# --- Ledger (storage and decoding) ---
mutant ledger-store-parent-link Sources/GridLedger/ChainStore.swift GridLedgerTests \
    'guard parent.hash == header.parentHash else {' \
    'guard parent.hash == header.parentHash || true else {'
mutant ledger-decoder-count-limit Sources/GridLedger/WireEncoding.swift 'GridLedgerTests|GridGlobalTests' \
    $'        guard count <= limit else {\n            throw DecodingError(field: field, offset: at, kind: .tooLarge' \
    $'        guard count <= limit || true else {\n            throw DecodingError(field: field, offset: at, kind: .tooLarge'
mutant ledger-transaction-size-limit Sources/GridLedger/Transaction.swift 'GridLedgerTests|MempoolTests' \
    'guard bytes.count <= limits.transactionBytesMax else {' \
    'guard bytes.count <= limits.transactionBytesMax * 2 else {'

# --- Global layer (checkpoint committee and inbound deliveries) ---
# Every member checks each entry of a checkpoint again when it executes it (the leader may lie).
mutant global-parent-link Sources/GridGlobal/GlobalApplication.swift GridGlobalTests \
    'entry.header.parentHash == tip.blockHash' \
    '(entry.header.parentHash == tip.blockHash || true)'
mutant global-height-continuity Sources/GridGlobal/GlobalApplication.swift GridGlobalTests \
    'entry.height == tip.height + 1,' \
    'entry.height > tip.height,'
mutant inbound-replay Sources/GridGlobal/InboundDelivery.swift GridGlobalTests \
    'if let last = messages.last, last.destinationSequence < nextDestinationSequence {' \
    'if let last = messages.last, last.destinationSequence < nextDestinationSequence, false {'
mutant inbound-pair-sequence Sources/GridGlobal/InboundDelivery.swift GridGlobalTests \
    'guard message.destinationSequence == expected, message.pairSequence == expectedPair else {' \
    'guard message.destinationSequence == expected else {'

# --- Region (admission) ---
mutant region-nonce-window Sources/GridRegion/NonceWindow.swift 'GridConsensusTests|GridRegionTests' \
    'return usedBelow & (1 << (distance - 1)) == 0' \
    'return usedBelow & (1 << (distance - 1)) == 0 || true'
mutant region-admission-signature Sources/GridRegion/Mempool.swift 'GridConsensusTests|GridRegionTests' \
    'guard verifier.verify(transaction.signature, by: transaction.sender, of: transaction.signingBytes()) else {' \
    'guard verifier.verify(transaction.signature, by: transaction.sender, of: transaction.signingBytes()) || true else {'

usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

REBUILD=1
CHECK_ONLY=0
SELECTED=()
for argument in "$@"; do
    case "$argument" in
    --list)
        for index in "${!NAMES[@]}"; do
            printf '%-40s %-45s %s\n' "${NAMES[$index]}" "${FILES[$index]}" "${FILTERS[$index]}"
        done
        exit 0
        ;;
    --no-rebuild) REBUILD=0 ;;
    --check) CHECK_ONLY=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*)
        echo "unknown option $argument" >&2
        usage >&2
        exit 2
        ;;
    *)
        found=""
        for index in "${!NAMES[@]}"; do [[ "${NAMES[$index]}" == "$argument" ]] && found=$index; done
        if [[ -z "$found" ]]; then
            echo "unknown mutant '$argument' (see --list)" >&2
            exit 2
        fi
        SELECTED+=("$found")
        ;;
    esac
done
if [[ ${#SELECTED[@]} -eq 0 ]]; then SELECTED=("${!NAMES[@]}"); fi

# shellcheck source=scripts/lib/mutation.sh
source "$ROOT/scripts/lib/mutation.sh"
mutation_require_clean
mkdir -p "$LOG_DIR"

RESULTS=()
DETAILS=()
KILLED=0
PROBLEMS=0
for index in "${SELECTED[@]}"; do
    name="${NAMES[$index]}"
    file="${FILES[$index]}"
    filter="${FILTERS[$index]}"
    echo "== $name: $file (tests: $filter)"
    if ! mutation_apply "$file" "${OLDS[$index]}" "${NEWS[$index]}"; then
        RESULTS+=("NOT APPLIED")
        DETAILS+=("text not found exactly once: the mutant is stale")
        PROBLEMS=$((PROBLEMS + 1))
        continue
    fi
    if [[ $CHECK_ONLY -eq 1 ]]; then
        restore
        RESULTS+=("applies")
        DETAILS+=("text matched exactly once (not built)")
        continue
    fi
    if ! swift build --build-tests > "$LOG_DIR/$name.build.log" 2>&1; then
        restore
        RESULTS+=("BUILD FAILED")
        DETAILS+=("see $LOG_DIR/$name.build.log")
        PROBLEMS=$((PROBLEMS + 1))
        continue
    fi
    swift test --skip-build --filter "$filter" > "$LOG_DIR/$name.test.log" 2>&1
    status=$?
    restore
    if [[ $status -ne 0 ]]; then
        KILLED=$((KILLED + 1))
        RESULTS+=("killed")
        # The failing tests, as Swift Testing names them.
        failing="$(grep -oE '✘ Test [^ ]+\(\)' "$LOG_DIR/$name.test.log" | sed 's/✘ Test //' | sort -u | head -3 | paste -sd ' ' -)"
        DETAILS+=("${failing:-exit status $status, see $LOG_DIR/$name.test.log}")
    else
        RESULTS+=("SURVIVED")
        DETAILS+=("no test in '$filter' failed")
        PROBLEMS=$((PROBLEMS + 1))
    fi
    echo "   ${RESULTS[-1]}: ${DETAILS[-1]}"
done

mutation_check_restored
if [[ $CHECK_ONLY -eq 1 ]]; then
    echo "checked ${#SELECTED[@]} mutants: $PROBLEMS stale"
    [[ $PROBLEMS -eq 0 ]]
    exit
fi
if [[ $REBUILD -eq 1 ]]; then
    echo "== rebuilding the unmutated sources"
    swift build --build-tests > "$LOG_DIR/restore.build.log" 2>&1 || echo "warning: rebuild failed, see $LOG_DIR/restore.build.log" >&2
fi

echo
printf '%-40s %-13s %s\n' "mutant" "result" "detail"
printf '%-40s %-13s %s\n' "------" "------" "------"
position=0
for index in "${SELECTED[@]}"; do
    printf '%-40s %-13s %s\n' "${NAMES[$index]}" "${RESULTS[$position]}" "${DETAILS[$position]}"
    position=$((position + 1))
done
echo
echo "killed $KILLED of ${#SELECTED[@]}"
[[ $PROBLEMS -eq 0 ]]
