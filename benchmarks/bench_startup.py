"""Start-up: `python train.py --help` and `python train.py --cfg job` (target < 2 s).

torch and lightning are imported only when a run starts; this checks it (`-X importtime`)
and times both commands against the baseline of importing lightning, in the same run.

    python benchmarks/bench_startup.py            # 5 runs each (median)
    python benchmarks/bench_startup.py --quick    # 2 runs each
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, median, report, table  # noqa: E402

COMMANDS = {
    "`python train.py --help`": ["train.py", "--help"],
    "`python train.py --cfg job`": ["train.py", "--cfg", "job"],
    "`python eval.py --help`": ["eval.py", "--help"],
}
BASELINE = {"`python -c 'import lightning'` (baseline)": ["-c", "import lightning"]}


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def heavy_imports(args: list[str]) -> list[str]:
    """Heavy top-level packages the command imports (empty is the goal)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args], cwd=ROOT, capture_output=True, text=True
    )
    names = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    return sorted(n for n in ("torch", "lightning", "torchvision", "torchmetrics") if n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs each")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats
    for cmd in [*COMMANDS.values(), *BASELINE.values()]:
        wall(cmd)  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in [*COMMANDS, *BASELINE]}
    for _ in range(repeats):  # interleaved, so load changes hit every command alike
        for name, cmd in {**COMMANDS, **BASELINE}.items():
            times[name].append(wall(cmd))
    base = median(times[next(iter(BASELINE))])
    rows = []
    for name, cmd in COMMANDS.items():
        t = median(times[name])
        heavy = ", ".join(heavy_imports(cmd)) or "none"
        verdict = "met" if t < 2.0 and heavy == "none" else "NOT met"
        rows.append([name, f"{t:.2f}", f"{t / base:.2f}x", heavy, verdict])
    rows.append([next(iter(BASELINE)), f"{base:.2f}", "1.00x", "torch, lightning", ""])
    body = table(
        ["command", "median wall (s)", "vs import lightning", "heavy imports", "< 2 s"], rows
    )
    notes = f"Median of {repeats} interleaved runs after one warm-up run each."
    report("Start-up of the CLI", body, notes, save=not args.no_save)


if __name__ == "__main__":
    main()
