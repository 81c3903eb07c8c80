#!/usr/bin/env python3
"""Generates the WAN topologies from a published inter-region round-trip table.

Writes topologies/wan-8.yaml, wan-16.yaml, wan-64.yaml and, for a scaling study at equal per-region load,
topologies/scaling/wan-1.yaml and wan-4.yaml. Regions r00, r01, ... are mapped onto the sites of
topologies/data/inter-region-rtt.csv round-robin (in SITE_ORDER, which alternates continents so that small
set-ups are spread too); every pair of regions at different sites gets a network.pairs entry with the one-way
latency RTT/2 of its sites, clamped to 5...150 ms; regions at the same site keep interRegion (5 ms). See
topologies/data/README.md for the source of the table.

Python 3 standard library only. Usage:
    python3 scripts/gen-wan-topologies.py [--per-region-tps 250] [--duration 60] [--accounts-per-region 200]
"""

import argparse
import csv
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLE = ROOT / "topologies" / "data" / "inter-region-rtt.csv"

# Round-robin order of the sites: continents alternate, so 4 regions already span North America, Europe and Asia.
SITE_ORDER = [
    "us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2", "eu-central-1",
    "ap-southeast-1", "us-west-1", "ap-northeast-2", "ap-southeast-2", "sa-east-1",
]
SAME_SITE_MS = 5.0        # one-way between regions at the same site (and the floor)
ONE_WAY_MAX_MS = 150.0    # ceiling of the one-way latency
PAIR_JITTER_MS = 1.0
VALIDATORS_PER_REGION = 4
COMMITTEE = 4

SET_UPS = [  # (regions, path relative to topologies/)
    (8, "wan-8.yaml"),
    (16, "wan-16.yaml"),
    (64, "wan-64.yaml"),
    (1, "scaling/wan-1.yaml"),
    (4, "scaling/wan-4.yaml"),
]


def read_table(path):
    """Round trips by (site, site), symmetric: the mean of both directions where both were published, else the
    one published (the source's sa-east-1 row was not captured, so its column is used both ways)."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    sites = rows[0][1:]
    directed = {}
    for row in rows[1:]:
        source = row[0]
        for target, cell in zip(sites, row[1:]):
            if cell.strip():
                directed[(source, target)] = float(cell)
    rtt = {}
    for a in sites:
        for b in sites:
            if a == b:
                continue
            values = [directed[key] for key in ((a, b), (b, a)) if key in directed]
            if not values:
                sys.exit(f"no round trip between {a} and {b} in {path}")
            rtt[(a, b)] = sum(values) / len(values)
    return sites, rtt


def one_way(rtt_ms):
    """(one-way ms, clamped?)"""
    value = rtt_ms / 2
    clamped = min(max(value, SAME_SITE_MS), ONE_WAY_MAX_MS)
    return round(clamped, 2), clamped != value


def number(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def region_names(count):
    width = max(2, len(str(count - 1)))
    return [f"r{index:0{width}d}" for index in range(count)]


# Where the committee sits: two members in us-east-1 and one each in us-west-2 and us-west-1, so any member finds
# a quorum within 44 ms one way and a checkpoint round costs a short hop, while entries and checkpoints still
# cross the whole WAN to and from every region. This trades geographic spread of the committee for finality
# latency (a committee spread over every continent pays the longest links in every round: see the note of the
# global-layer issue). A site a set-up has no region at is replaced by us-east-1, where r00 always sits.
COMMITTEE_SITES = ["us-east-1", "us-west-2", "us-west-1", "us-east-1"]


def committee_placement(names, site_of):
    """One region per entry of COMMITTEE_SITES, a different region of that site for each member while there are
    any (else the site's first region again); a missing site falls back to us-east-1."""
    placement = []
    for site in COMMITTEE_SITES:
        at_site = [name for name in names if site_of[name] == site] or [
            name for name in names if site_of[name] == COMMITTEE_SITES[0]]
        unused = [name for name in at_site if name not in placement]
        placement.append((unused or at_site)[0])
    return placement


def generate(count, relative_path, rtt, args):
    names = region_names(count)
    site_of = {name: SITE_ORDER[index % len(SITE_ORDER)] for index, name in enumerate(names)}
    placement = committee_placement(names, site_of)
    pairs = []
    clamped = set()
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if site_of[a] == site_of[b]:
                continue  # interRegion: 5 ms
            latency, was_clamped = one_way(rtt[(site_of[a], site_of[b])])
            if was_clamped:
                clamped.add(tuple(sorted((site_of[a], site_of[b]))))
            if latency != SAME_SITE_MS:
                pairs.append((a, b, latency))
    tps = count * args.per_region_tps
    accounts = count * args.accounts_per_region
    stem = pathlib.Path(relative_path).stem
    sites_used = sorted(set(site_of.values()), key=SITE_ORDER.index)
    out = []
    comment = out.append
    comment(f"# GENERATED by scripts/gen-wan-topologies.py; edit the script, not this file.")
    comment(f"#")
    comment(f"# {count} region(s) of {VALIDATORS_PER_REGION} validators (f = 1) spread over {len(sites_used)} cloud "
            f"site(s) on a WAN, with a global committee")
    comment(f"# of {COMMITTEE} members placed in well-connected data centres "
            f"({', '.join(f'{p} at {site_of[p]}' for p in placement)}): any member finds a quorum")
    comment(f"# nearby, while entries and checkpoints cross the WAN to and from every region (see COMMITTEE_SITES "
            f"in the script).")
    comment(f"# Regions r00, r01, ... sit at the sites round-robin in the order {', '.join(SITE_ORDER)};")
    comment(f"# inside a region the links are a LAN (a region is one site's data centre). Between regions at the same "
            f"site the link")
    comment(f"# is interRegion ({number(SAME_SITE_MS)} ms one way); between regions at different sites it is the "
            f"pair's one-way latency, half the")
    comment(f"# published average round trip between the two AWS regions (topologies/data/inter-region-rtt.csv, "
            f"source and")
    comment(f"# date in topologies/data/README.md), clamped to {number(SAME_SITE_MS)}...{number(ONE_WAY_MAX_MS)} ms.")
    if clamped:
        comment(f"# Clamped to {number(ONE_WAY_MAX_MS)} ms: " + "; ".join(f"{a} / {b}" for a, b in sorted(clamped)) + ".")
    comment(f"#")
    comment(f"# Load: transfers at a fixed {number(tps)} tx/s = {count} x {number(args.per_region_tps)} per region, "
            f"between {accounts} accounts")
    comment(f"# ({args.accounts_per_region} per region: the simulator puts device i in region i mod {count}, so every "
            f"region gets the same")
    comment(f"# share). Block interval {number(args.block_interval_ms)} ms (a leader proposes after a quarter of it "
            f"while its pipeline holds transactions, so")
    comment(f"# a light steady load makes a block every {number(args.block_interval_ms / 4)} ms); gossip batches "
            f"leave within 10 ms; checkpoints of up to 2048 entries, interval")
    comment(f"# {number(args.checkpoint_interval_ms)} ms (same rule). {number(args.duration)} s measured after 5 s of "
            f"warm-up, 10 s client timeout. No faults.")
    out.append("schemaVersion: 1")
    out.append(f"name: {stem}")
    out.append(f'description: "{count} region(s) x {VALIDATORS_PER_REGION} validators on a WAN '
               f'({len(sites_used)} site(s), published inter-region RTTs), global committee of {COMMITTEE}"')
    out.append("seed: 1")
    out.append("")
    out.append("machine:")
    out.append("  profile: default")
    out.append("  cores: 2")
    out.append("")
    out.append("regions:")
    for name in names:
        out.append(f"  - {{ name: {name}, validators: {VALIDATORS_PER_REGION} }}   # {site_of[name]}")
    out.append("")
    out.append("network:")
    out.append("  intraRegion: { latencyMillis: 0.25, jitterMillis: 0.05, bandwidthMbps: 1000, lossRate: 0.0 }")
    out.append("  client: { latencyMillis: 0.5, jitterMillis: 0.1, bandwidthMbps: 1000, lossRate: 0.0 }")
    out.append(f"  interRegion: {{ latencyMillis: {number(SAME_SITE_MS)}, jitterMillis: 0.5, bandwidthMbps: 1000, "
               f"lossRate: 0.0 }}   # same site")
    if pairs:
        out.append(f"  pairs:   # {len(pairs)} pairs of regions at different sites; jitter {number(PAIR_JITTER_MS)} ms")
        for a, b, latency in pairs:
            out.append(f"    - {{ between: [{a}, {b}], latencyMillis: {number(latency)}, "
                       f"jitterMillis: {number(PAIR_JITTER_MS)} }}")
    out.append("")
    out.append("consensus:")
    out.append(f"  blockIntervalMillis: {number(args.block_interval_ms)}")
    out.append("")
    out.append("mempool:")
    out.append("  batchIntervalMillis: 10")
    out.append("")
    out.append("global:")
    out.append(f"  validators: {COMMITTEE}")
    out.append(f"  placement: [{', '.join(placement)}]")
    out.append(f"  checkpointIntervalMillis: {number(args.checkpoint_interval_ms)}")
    out.append("  entriesMax: 2048   # 64 regions x ~20 blocks/s x a few rounds of pipeline")
    out.append("  viewTimeoutMillis: 2000   # a committee round crosses continents (one way up to 150 ms)")
    out.append("")
    out.append("workload:")
    out.append("  kind: transfer")
    out.append(f"  accounts: {accounts}")
    out.append("  rate:")
    out.append("    controller: fixed")
    out.append(f"    tps: {number(tps)}")
    out.append(f"  durationSeconds: {number(args.duration)}")
    out.append("  warmupSeconds: 5")
    out.append("  timeoutSeconds: 10")
    out.append("")
    out.append("faults: []")
    path = ROOT / "topologies" / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {path.relative_to(ROOT)}: {count} regions, {len(pairs)} pairs, {number(tps)} tx/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-region-tps", type=float, default=100, help="offered tx/s per region [100]")
    parser.add_argument("--block-interval-ms", type=float, default=400, help="region block interval [400]")
    parser.add_argument("--checkpoint-interval-ms", type=float, default=200, help="checkpoint interval [200]")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds [60]")
    parser.add_argument("--accounts-per-region", type=int, default=200, help="transfer accounts per region [200]")
    args = parser.parse_args()
    if args.per_region_tps <= 0 or args.duration <= 0 or args.accounts_per_region < 1:
        parser.error("rates, duration and accounts must be positive")
    sites, rtt = read_table(TABLE)
    missing = [site for site in SITE_ORDER if site not in sites]
    if missing:
        sys.exit(f"sites missing from {TABLE}: {missing}")
    for count, relative_path in SET_UPS:
        generate(count, relative_path, rtt, args)


if __name__ == "__main__":
    main()
