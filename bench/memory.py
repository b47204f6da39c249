"""Memory of the benchmark's own process, for the peak-memory figures."""

from __future__ import annotations

import contextlib
import resource
import sys
from pathlib import Path


def peak_mb() -> float:
    """The process's peak resident set so far, in MB (ru_maxrss: kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def resident_mb() -> float:
    """The resident set now (Linux /proc); elsewhere the peak so far, which can only overstate growth."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return peak_mb()
