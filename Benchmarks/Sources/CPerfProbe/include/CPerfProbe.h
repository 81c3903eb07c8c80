#ifndef GRIDLEDGER_CPERFPROBE_H
#define GRIDLEDGER_CPERFPROBE_H

/// Returns 1 if this process may open a user-space hardware instruction counter (what the benchmark package's
/// `instructions` metric needs), 0 otherwise. Most VMs and containers have no PMU (ENOENT) or forbid
/// perf_event_open (EACCES/EPERM); the metric would then read as zero.
int gridledger_instruction_counter_available(void);

#endif
