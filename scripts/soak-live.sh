#!/usr/bin/env bash
# Reliability soak of the live runtime: one region of 4 validators under steady load; every few seconds a random
# validator is killed with SIGKILL and restarted on its store a moment later, KILLS times in all. At the end:
#   - every validator's store verifies and holds the same block at every height (gridledger inspect --compare),
#   - no transaction is in the chain twice,
#   - every transaction a client was told is committed is in the chain (the generator's committed list),
# and the time each restarted validator took to catch up with its peers is printed.
#
#   bash scripts/soak-live.sh                 # 100 kills, one every 3 s, 2000 tx/s
#   KILLS=10 INTERVAL=3 TPS=1000 bash scripts/soak-live.sh
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${KILLS:-100}
interval=${INTERVAL:-3}
tps=${TPS:-2000}
seed=${SEED:-7}
out=${OUT:-out/soak-live}
bash scripts/setup.sh >/dev/null
swift build -c release --product gridledger >/dev/null 2>&1
bin=.build/release/gridledger
rm -rf "$out"
mkdir -p "$out"
topology="$out/soak.yaml"
python3 - "$kills" "$interval" "$tps" "$seed" >"$topology" <<'PY'
import random, sys
kills, interval, tps, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
warmup = 2.0
duration = kills * interval + 3
print(f"""schemaVersion: 1
name: soak-live
description: "4 validators; a random one is killed every {interval} s and restarted, {kills} times"
seed: {seed}
machine: {{ profile: default, cores: 2, durability: sync }}
regions:
  - name: r0
    validators: 4
network:
  intraRegion: {{ latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }}
  client: {{ latencyMillis: 0.5, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }}
consensus: {{ viewTimeoutMillis: 500 }}
workload:
  kind: transfer
  accounts: 10000
  rate: {{ controller: fixed, tps: {tps} }}
  durationSeconds: {duration}
  warmupSeconds: {warmup}
  timeoutSeconds: 10
faults:""")
for k in range(kills):
    at = warmup + 1 + k * interval
    victim = rng.randrange(4)
    print(f"  - {{ atSeconds: {at:.3f}, kind: crash, node: r0/v{victim} }}")
    print(f"  - {{ atSeconds: {at + interval / 2:.3f}, kind: restart, node: r0/v{victim} }}")
PY
"$bin" run "$topology" --runtime live --record-committed --out "$out/run" --quiet | tee "$out/summary.txt"
stores="$out/run/deployment/stores"
echo
echo "== stores"
"$bin" inspect "$stores/r0-v0" --compare "$stores/r0-v1" "$stores/r0-v2" "$stores/r0-v3" \
    --committed-list "$out/run/deployment/load/committed.txt" | tee "$out/inspect.txt"
echo
echo "== restarts: time to catch up with the peers' height at restart"
python3 - "$out/run/report.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
restarts = len(re.findall(r"restart r0/v\d -> r0/v\d on its store", text))
times = sorted(float(t) for t in re.findall(r"caught up to height \d+ ([0-9.]+) s after its restart", text))
print(f"{restarts} restarts, {len(times)} caught up, {restarts - len(times)} never did")
if times:
    n = len(times)
    print(f"catch-up: median {times[n // 2]:.2f} s, p90 {times[min(n - 1, int(n * 0.9))]:.2f} s, max {times[-1]:.2f} s")
PY
