"""What the benchmarks share: the machine line, Markdown tables, and RESULTS.md.

Not a benchmark itself (`make bench` runs benchmarks/bench_*.py only). Every benchmark
measures its baseline in the same run and reports the ratio, so figures from different
machines or loads are never compared with each other.
"""

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist-t10k-split"


def machine_line() -> str:
    """CPU model, cores, memory, accelerator, versions and the load when the benchmark began
    (a load near the core count means other work shared the machine)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = float("nan")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {cores} cores, {mem_gb:.0f} GiB, {gpu}; Python {platform.python_version()}, "
        f"torch {torch.__version__}; load average {load:.2f} at start"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(title: str, body: str, notes: str = "", save: bool = True) -> str:
    """Print the section and append it to benchmarks/RESULTS.md."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = f"## {title}\n\n{stamp} — {machine_line()}\n\n`{' '.join(sys.argv)}`\n\n{body}\n"
    if notes:
        text += f"\n{notes}\n"
    print(text)
    if save:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\nAppended by `make bench` (benchmarks/).\n\n")
        with RESULTS.open("a") as file:
            file.write(text + "\n")
    return text


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
