"""Data path: in-memory MNIST (data=mnist_memory) vs torchvision's per-sample DataLoader
(data=mnist), in samples/s of ready model input (target >= 10x).

Both serve the same training split with the same batch size and num_workers=0; a sample
counts once it is a normalised float tensor (the in-memory path's per-batch normalisation,
and augmentation when asked, is included). Runs alternate A/B; medians are reported.

    python benchmarks/bench_datapath.py              # 3 epochs each way, with and without augment
    python benchmarks/bench_datapath.py --quick      # 1 epoch each way, no augment
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_MNIST, median, report, table  # noqa: E402


def tiny_digits(folder: Path, n: int = 8000) -> Path:
    """Random MNIST-shaped IDX files, for machines without the shared split."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import write_tiny_mnist

    return write_tiny_mnist(folder, n_train=n, n_test=64)


def samples_per_second(dm, epochs: int) -> float:
    """Ready batches of one training epoch (or several), in samples per second."""
    seen, start = 0, time.perf_counter()
    for _ in range(epochs):
        for batch in dm.train_dataloader():
            x, y = (
                dm.to_model_input(batch, augment=dm.augment)
                if hasattr(dm, "to_model_input")
                else batch
            )
            seen += len(y)
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="A/B rounds (median)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="1 round, no augment row")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    from litlab.data.mnist import MNISTDataModule
    from litlab.data.mnist_memory import MNISTMemoryDataModule

    data_dir = SHARED_MNIST
    if not (SHARED_MNIST / "MNIST" / "raw").is_dir():
        import tempfile

        data_dir = tiny_digits(Path(tempfile.mkdtemp()))
    rows = []
    for augment in (False,) if args.quick else (False, True):
        kwargs = {"data_dir": str(data_dir), "download": False, "augment": augment}
        kwargs["batch_size"] = args.batch_size
        slow, fast = MNISTDataModule(**kwargs), MNISTMemoryDataModule(**kwargs)
        slow.setup(), fast.setup()
        samples_per_second(slow, 1), samples_per_second(fast, 1)  # warm-up, not counted
        slow_runs, fast_runs = [], []
        for _ in range(1 if args.quick else args.repeats):
            slow_runs.append(samples_per_second(slow, 1))
            fast_runs.append(samples_per_second(fast, 1))
        s, f = median(slow_runs), median(fast_runs)
        rows.append([f"augment={augment}", f"{s:,.0f}", f"{f:,.0f}", f"**{f / s:.1f}x**"])
    n = len(fast.data_train)
    body = table(
        ["train batches", "torchvision per-sample (samples/s)", "in-memory (samples/s)", "ratio"],
        rows,
    )
    notes = (
        f"{n} training images ({data_dir.name}), batch {args.batch_size}, num_workers=0, CPU. "
        "Target >= 10x. With a GPU the in-memory path also skips the per-batch host-to-device "
        "copy (`on_device=true`), which this CPU run cannot show."
    )
    report("Data path: in-memory vs torchvision DataLoader", body, notes, save=not args.no_save)


if __name__ == "__main__":
    main()
