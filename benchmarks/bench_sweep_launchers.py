"""Sweep launchers: wall time of the README's 4-job grid sweep with the basic launcher (jobs
one after another) and with `hydra/launcher=parallel` (joblib, 2 jobs side by side, cores / 2
torch threads each), as a speed-up ratio over the basic launcher.

    python benchmarks/bench_sweep_launchers.py             # 2 alternating rounds (median)
    python benchmarks/bench_sweep_launchers.py --quick     # 1 round, 1 epoch per job
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, median, report, table  # noqa: E402

GRID = ("experiment=mlp_synthetic", "model.optimizer.lr=0.1,0.01", "data.batch_size=32,64")
LAUNCHERS = {"basic": (), "parallel (joblib, 2 jobs)": ("hydra/launcher=parallel",)}


def sweep_seconds(extra: tuple[str, ...], log_dir: Path) -> float:
    cmd = [sys.executable, str(ROOT / "train.py"), "-m", *GRID, *extra, f"paths.log_dir={log_dir}"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds (median)")
    parser.add_argument("--quick", action="store_true", help="1 round, trainer.max_epochs=1")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    extra = ("trainer.max_epochs=1",) if args.quick else ()
    times: dict[str, list[float]] = {name: [] for name in LAUNCHERS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(1 if args.quick else args.repeats):
            for name, launcher in LAUNCHERS.items():  # alternate, so load drifts hit both
                log_dir = Path(tmp) / f"{round_}-{len(times[name])}-{name.split()[0]}"
                times[name].append(sweep_seconds((*launcher, *extra), log_dir))
    base = median(times["basic"])
    rows = [
        [name, f"{median(t):.1f}", " / ".join(f"{x:.1f}" for x in t), f"{base / median(t):.2f}x"]
        for name, t in times.items()
    ]
    body = table(["launcher", "median wall (s)", "runs (s)", "speed-up vs basic"], rows)
    notes = (
        f"Command: `python train.py -m {' '.join(GRID)} {' '.join(extra)}` (4 jobs, whole process)."
    )
    report("Sweep launchers: basic vs parallel", body, notes, save=not args.no_save)


if __name__ == "__main__":
    main()
