#!/usr/bin/env bash
# The simulator checked against the live runtime on this machine: for each topology, the committed throughput at
# saturation and p50/p99 at half that load, live and simulated, and their ratio (sim / live).
#
#   bash scripts/fidelity.sh [TOPOLOGY...]     (default: default region-7 leader-crash ieee33-3regions)
#   FIDELITY_OUT=DIR  where the runs go (default out/fidelity); DURATION_SECONDS (default 10) per run
#
# Saturation is the highest committed rate over a ladder of offered rates: from SATURATION_START_TPS (default 500)
# up by a factor SATURATION_STEP (default 1.41) until two offers in a row commit less than the best so far, or
# SATURATION_MAX_TPS (default 32000). One offer far above capacity is not saturation: a live region past its
# capacity commits less than at it (docs/architecture.md, known limits), so a single 20,000 tx/s offer read a
# collapse, not the peak. Each runtime climbs its own ladder; every step is kept in out/fidelity/ladder.tsv
# (topology, runtime, offered, committed). The half-load runs then offer half of the live saturation figure to
# both. The simulated runs use the profile `gridledger calibrate` measured on this machine just before
# (out/fidelity/profile.json), with every simulated machine given the share of this machine's cores its live node
# really had (FIDELITY_SIM_CPU=share, the default), or with all simulated machines sharing this machine's cores
# with a run queue, each event waiting for a free core as a live consensus thread does (FIDELITY_SIM_CPU=host,
# `gridledger run --host-cores`). FIDELITY_PROFILE=FILE uses that profile instead of calibrating, for example
# one with the live runtime's own costs fitted (scripts/calibrate-live.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${FIDELITY_OUT:-out/fidelity}
mkdir -p "$out"
topologies=("$@")
[ ${#topologies[@]} -gt 0 ] || topologies=(default region-7 leader-crash ieee33-3regions)
start_tps=${SATURATION_START_TPS:-500}
step_factor=${SATURATION_STEP:-1.41}
max_tps=${SATURATION_MAX_TPS:-32000}
duration=${DURATION_SECONDS:-10}
# A ladder that cannot climb (a factor <= 1) or a rate that is not a number would loop or fail half-way: refuse first.
python3 - "$start_tps" "$step_factor" "$max_tps" "$duration" <<'PY' || exit 2
import sys
names = ["SATURATION_START_TPS", "SATURATION_STEP", "SATURATION_MAX_TPS", "DURATION_SECONDS"]
values = []
for name, text in zip(names, sys.argv[1:]):
    try:
        values.append(float(text))
    except ValueError:
        sys.exit(f"fidelity: {name} must be a number, got '{text}'")
start, step, top, duration = values
if not 1 <= start <= 10_000_000: sys.exit(f"fidelity: SATURATION_START_TPS must lie in 1...10000000, got {start:g}")
if not 1.05 <= step <= 10: sys.exit(f"fidelity: SATURATION_STEP must lie in 1.05...10, got {step:g}")
if not start <= top <= 10_000_000: sys.exit(f"fidelity: SATURATION_MAX_TPS must lie in SATURATION_START_TPS...10000000, got {top:g}")
if not 1 <= duration <= 3600: sys.exit(f"fidelity: DURATION_SECONDS must lie in 1...3600, got {duration:g}")
PY
bash scripts/setup.sh >/dev/null
swift build -c release --product gridledger >/dev/null
bin=.build/release/gridledger
sim_cpu=${FIDELITY_SIM_CPU:-share}
case $sim_cpu in share | host) ;; *) echo "fidelity: FIDELITY_SIM_CPU must be share or host, got '$sim_cpu'" >&2; exit 2 ;; esac

if [ -n "${FIDELITY_PROFILE:-}" ]; then
    # A profile made elsewhere, for example with the live runtime terms (scripts/calibrate-live.sh).
    [ -f "$FIDELITY_PROFILE" ] || { echo "fidelity: FIDELITY_PROFILE: no file $FIDELITY_PROFILE" >&2; exit 2; }
    [ "$(realpath "$FIDELITY_PROFILE")" = "$(realpath -m "$out/profile.json")" ] ||
        cp "$FIDELITY_PROFILE" "$out/profile.json"
elif [ "${SIM_ONLY:-0}" != 1 ]; then
    "$bin" calibrate --out "$out/profile.json" --store-dir "$out" >/dev/null
fi

field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

printf '%-18s %-9s %12s %12s %12s %12s %12s %12s\n' topology measure live sim ratio "" "" ""
for topology in "${topologies[@]}"; do
    cores=$(nproc)
    nodes=$(python3 - "$topology" <<'PY'
import sys, yaml, os
name = sys.argv[1]
path = name if os.path.exists(name) else f"topologies/{name}.yaml"
t = yaml.safe_load(open(path))
n = sum(r["validators"] for r in t["regions"]) + (t.get("global", {}) or {}).get("validators", 0)
print(n)
PY
)
    # Each simulated machine gets the cores its live node had: this machine's cores shared by every node.
    share=$(python3 -c "print(round($cores / $nodes, 4))")
    for runtime in live sim; do
        # SIM_ONLY=1 keeps the live runs of an earlier invocation (to try a model change against them).
        [ "$runtime" = live ] && [ "${SIM_ONLY:-0}" = 1 ] && continue
        extra=()
        if [ "$runtime" = sim ]; then
            extra=(--profile "$out/profile.json" --cores-per-node "$share")
            if [ "$sim_cpu" = host ]; then extra=(--profile "$out/profile.json" --host-cores "$cores"); fi
        fi
        sed -i "/^$topology	$runtime	/d" "$out/ladder.tsv" 2>/dev/null || true
        rate=$start_tps best=0 best_rate=0 declines=0
        while python3 -c "import sys; sys.exit(0 if $rate <= $max_tps else 1)"; do
            "$bin" run "$topology" --runtime "$runtime" --rate "$rate" --duration "$duration" --quiet \
                --out "$out/$topology-$runtime-ladder-$rate" "${extra[@]}" >/dev/null
            committed=$(field "$out/$topology-$runtime-ladder-$rate/result.json" 'r["committedTps"]')
            printf '%s\t%s\t%s\t%s\n' "$topology" "$runtime" "$rate" "$committed" >>"$out/ladder.tsv"
            printf '  %-18s %-4s offered %8s committed %10s\n' "$topology" "$runtime" "$rate" "$committed" >&2
            if python3 -c "import sys; sys.exit(0 if $committed > $best else 1)"; then
                best=$committed best_rate=$rate declines=0
                rm -rf "$out/$topology-$runtime-saturated"
                cp -r "$out/$topology-$runtime-ladder-$rate" "$out/$topology-$runtime-saturated"
            else
                declines=$((declines + 1))
                [ $declines -ge 2 ] && break
            fi
            rate=$(python3 -c "print(round($rate * $step_factor))")
        done
        echo "  $topology $runtime: saturation $best tx/s committed at $best_rate offered" >&2
    done
    live_sat=$(field "$out/$topology-live-saturated/result.json" 'r["committedTps"]')
    sim_sat=$(field "$out/$topology-sim-saturated/result.json" 'r["committedTps"]')
    half=$(python3 -c "print(max(100, round($live_sat / 2)))")
    for runtime in live sim; do
        [ "$runtime" = live ] && [ "${SIM_ONLY:-0}" = 1 ] && continue
        extra=()
        if [ "$runtime" = sim ]; then
            extra=(--profile "$out/profile.json" --cores-per-node "$share")
            if [ "$sim_cpu" = host ]; then extra=(--profile "$out/profile.json" --host-cores "$cores"); fi
        fi
        "$bin" run "$topology" --runtime "$runtime" --rate "$half" --duration "$duration" --quiet \
            --out "$out/$topology-$runtime-half" "${extra[@]}" >/dev/null
    done
    for measure in committedTps p50 p99; do
        case $measure in
            committedTps) expr='r["committedTps"]'; suffix=saturated ;;
            p50) expr='r["latencyMillis"]["localCommit"]["p50"]'; suffix=half ;;
            p99) expr='r["latencyMillis"]["localCommit"]["p99"]'; suffix=half ;;
        esac
        live=$(field "$out/$topology-live-$suffix/result.json" "$expr")
        sim=$(field "$out/$topology-sim-$suffix/result.json" "$expr")
        ratio=$(python3 -c "l=$live; s=$sim; print(f'{s/l:.2f}' if l else 'n/a')")
        printf '%-18s %-9s %12s %12s %12s   (sim CPU %s, cores/node %s, half load %s tx/s)\n' "$topology" "$measure" "$live" "$sim" "$ratio" "$sim_cpu" "$share" "$half"
    done
done
