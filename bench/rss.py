"""Peak memory of the running process, as the export and XLSX benchmarks report it."""
from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec. (ru_maxrss
    does not: a child started by a big parent reports at least the parent's size at the fork.)"""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
