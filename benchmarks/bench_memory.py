"""Peak memory of a cnn_mnist run: resident set size (RSS) of the whole process, and on a GPU
the peak of `torch.cuda.max_memory_allocated`, against the baseline of a bare
`import torch, lightning` measured in the same run.

    python benchmarks/bench_memory.py            # both data paths, 1 epoch each
    python benchmarks/bench_memory.py --quick    # in-memory path, 1 epoch, 20 batches
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_MNIST, report, table  # noqa: E402

# Runs train.py's main in a child and prints the CUDA peak on the way out.
RUN_TRAIN = """
import atexit, sys
def cuda_peak():
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        print(f"CUDA_PEAK_BYTES={torch.cuda.max_memory_allocated()}")
atexit.register(cuda_peak)
sys.argv = ["train.py", *sys.argv[1:]]
from litlab.train import main
main()
"""


def peak(args: list[str]) -> tuple[float, float | None]:
    """(peak RSS MiB, CUDA peak MiB or None) of one child process."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:3])}... failed:\n{out[-2000:]}")
    cuda = [line.split("=")[1] for line in out.splitlines() if line.startswith("CUDA_PEAK_BYTES=")]
    return usage.ru_maxrss / 1024, (int(cuda[0]) / 2**20 if cuda else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="in-memory path, 20 batches")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if not (SHARED_MNIST / "MNIST" / "raw").is_dir():
        sys.exit(f"skipped: the real-digit split is not at {SHARED_MNIST}")
    base_rss, _ = peak(["-c", "import torch, lightning"])
    rows = [["`import torch, lightning` (baseline)", f"{base_rss:.0f}", "1.00x", "-"]]
    extra = ["+trainer.limit_train_batches=20"] if args.quick else []
    for data in ["mnist_memory"] if args.quick else ["mnist", "mnist_memory"]:
        with tempfile.TemporaryDirectory() as tmp:
            rss, cuda = peak(
                [
                    "-c",
                    RUN_TRAIN,
                    "experiment=cnn_mnist",
                    f"data={data}",
                    f"data.data_dir={SHARED_MNIST}",
                    f"trainer.max_epochs={args.epochs}",
                    "callbacks.rich_progress_bar=null",
                    f"paths.log_dir={tmp}",
                    *extra,
                ]
            )
        gpu = f"{cuda:.0f}" if cuda is not None else "no GPU"
        rows.append([f"cnn_mnist, data={data}", f"{rss:.0f}", f"{rss / base_rss:.2f}x", gpu])
    body = table(["process", "peak RSS (MiB)", "vs baseline", "peak CUDA allocated (MiB)"], rows)
    notes = (
        f"{args.epochs} epoch(s) of fit + test of the best checkpoint, 7,200 train / 2,000 test "
        "real digits, batch 128, num_workers=0. RSS includes torch/lightning themselves."
    )
    report("Peak memory of a cnn_mnist run", body, notes, save=not args.no_save)


if __name__ == "__main__":
    main()
