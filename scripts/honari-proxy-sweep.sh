#!/usr/bin/env bash
# Interim sweep for issue 12 point 2, superseded by `gridledger study honari` (docs/honari-study.md): the voltage workload of the shipped
# 33-bus topologies (device reports plus one dispatch per second and region), one region versus three shards
# with a global committee of 4, at send rates 50 / 600 / 1200 / 2400 tx/s (32 devices; the reporting period is
# 32 / rate). It is a proxy: Honari et al. send ComputeVSI transactions on the IEEE 30-bus groups, here the
# transactions are the 33-bus devices' signed reports and the index is computed by the dispatches.
# Usage: scripts/honari-proxy-sweep.sh [OUT_DIR]   (needs a built gridledger; prints one line per run)
set -euo pipefail
out=${1:-out/honari-proxy}
bin=${GRIDLEDGER:-.build/release/gridledger}
[ -x "$bin" ] || bin=.build/debug/gridledger
mkdir -p "$out"
for rate in 50 600 1200 2400; do
  period=$(python3 -c "print(round(32 / $rate, 4))")
  for shards in 1 3; do
    name="honari-proxy-$shards-$rate"
    regions=""
    for i in $(seq 1 "$shards"); do regions+=$'  - name: shard'"$i"$'\n    validators: 4\n'; done
    global=""; zoning=single
    if [ "$shards" = 3 ]; then global=$'global:\n  validators: 4'; zoning=threeZones; fi
    cat > "$out/$name.yaml" <<YAML
schemaVersion: 1
name: $name
description: "interim Honari sweep: $shards shard(s), $rate tx/s of voltage reports"
seed: 1
machine: { profile: default, cores: 2 }
regions:
$regions
network:
  intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }
  client: { latencyMillis: 0.5, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }
  interRegion: { latencyMillis: 3, jitterMillis: 0.3, bandwidthMbps: 1000, lossRate: 0.0 }
$global
workload:
  kind: voltage
  voltage: { feeder: ieee33, zoning: $zoning, devicesPerBus: 1, reportingPeriodSeconds: $period,
             controlIntervalSeconds: 1, vsiThreshold: 0.9, control: true, startHour: 19 }
  durationSeconds: 5
  warmupSeconds: 2
  timeoutSeconds: 5
faults: []
YAML
    "$bin" run "$out/$name.yaml" --out "$out/$name" --quiet > "$out/$name.log"
    python3 - "$out/$name/result.json" "$shards" "$rate" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latencyMillis"]["localCommit"]
v = r["workload"]["voltage"]
print(f"shards {sys.argv[2]} rate {sys.argv[3]}: offered {r['offeredTps']:.0f} committed {r['committedTps']:.1f} tx/s, "
      f"p50 {lat.get('p50')} p99 {lat.get('p99')} ms, counts {r['counts']}, weakest {v['weakestVoltagePU']} p.u.")
PY
  done
done
