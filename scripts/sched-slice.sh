#!/usr/bin/env bash
# Diagnostic: gives every thread of the processes whose command line matches PATTERN a custom scheduler slice
# (EEVDF, Linux 6.12 or later: sched_setattr with SCHED_OTHER and sched_runtime), re-applied every 0.2 s for
# SECONDS so that threads started later get it too. Used to ask whether the live runtime's latency tail at half
# load comes from how Linux time-slices the nodes' threads on the shared cores (docs/results/
# live-performance-2026-12-06.md, "the scheduler's slice"). Needs root or CAP_SYS_NICE and a C compiler.
#
#   bash scripts/sched-slice.sh 300000 45 'gridledger (node|load)' &   # 0.3 ms slices for 45 s
#   gridledger run topologies/default.yaml --runtime live --rate 2346 --duration 10
#
# The default slice is in /proc/PID/sched (se.slice; 1.4 ms on the 2-core VM this was written on).
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 SLICE_NANOS SECONDS PATTERN" >&2
    exit 2
fi
slice=$1
seconds=$2
pattern=$3
[[ $slice =~ ^[0-9]+$ ]] && [ "$slice" -ge 100000 ] && [ "$slice" -le 100000000 ] || {
    echo "$0: SLICE_NANOS must be 100000 to 100000000 (0.1 to 100 ms), got '$slice'" >&2
    exit 2
}
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] || {
    echo "$0: SECONDS must be 1 to 3600, got '$seconds'" >&2
    exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/setslice.c" <<'C'
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
/* struct sched_attr of the kernel's uapi (linux/sched/types.h), which glibc does not export. */
struct attr { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t priority;
              uint64_t runtime, deadline, period; uint32_t util_min, util_max; };
int main(int argc, char **argv) {
    uint64_t slice = strtoull(argv[1], 0, 10);
    int failed = 0;
    for (int i = 2; i < argc; i++) {
        struct attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.policy = 0; /* SCHED_OTHER: the slice is its runtime */
        a.runtime = slice;
        /* A thread that ended between listing and setting is not an error worth stopping for. */
        if (syscall(SYS_sched_setattr, atoi(argv[i]), &a, 0) != 0 && kill(atoi(argv[i]), 0) == 0) {
            perror(argv[i]);
            failed = 1;
        }
    }
    return failed;
}
C
cc -O2 -o "$work/setslice" "$work/setslice.c"

end=$((SECONDS + seconds))
applied=0
while [ $SECONDS -lt $end ]; do
    for pid in $(pgrep -f "$pattern" || true); do
        [ "$pid" = "$$" ] && continue
        tasks=$(ls "/proc/$pid/task" 2>/dev/null || true)
        [ -n "$tasks" ] && "$work/setslice" "$slice" $tasks && applied=1
    done
    sleep 0.2
done
[ $applied = 1 ] || echo "$0: no process matched '$pattern'" >&2
