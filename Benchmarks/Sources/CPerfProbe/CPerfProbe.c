#include "CPerfProbe.h"

#if defined(__linux__)
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int gridledger_instruction_counter_available(void) {
    struct perf_event_attr attributes;
    memset(&attributes, 0, sizeof(attributes));
    attributes.type = PERF_TYPE_HARDWARE;
    attributes.size = sizeof(attributes);
    attributes.config = PERF_COUNT_HW_INSTRUCTIONS;
    attributes.disabled = 1;
    attributes.exclude_kernel = 1;
    attributes.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &attributes, 0, -1, -1, 0);
    if (fd < 0) {
        return 0;
    }
    close((int)fd);
    return 1;
}
#else
// macOS: the benchmark package reads instruction counts through proc_pid_rusage, which is always available.
int gridledger_instruction_counter_available(void) { return 1; }
#endif
