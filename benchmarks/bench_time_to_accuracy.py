"""Time to accuracy: wall time for experiment=cnn_mnist to reach >= 98.0% test accuracy on
the real digits in ../shared/data/mnist-t10k-split, torchvision path (baseline) vs the
in-memory path, same seed and recipe.

The test set is scored after every epoch; that scoring is not counted in the time. The clock
starts at `trainer.fit` (so data decoding, validation and checkpointing count) and stops at
the first epoch whose test accuracy reaches the target.

    python benchmarks/bench_time_to_accuracy.py                 # both paths, up to 6 epochs
    python benchmarks/bench_time_to_accuracy.py --quick         # in-memory path only
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_overhead import compose_with  # noqa: E402
from common import SHARED_MNIST, report, table  # noqa: E402


def test_accuracy(model, dm) -> float:
    model.eval()
    right = total = 0
    with torch.no_grad():
        for batch in dm.test_dataloader():
            batch = [t.to(model.device) for t in batch]
            x, y = dm.to_model_input(batch) if hasattr(dm, "to_model_input") else batch
            right += int((model(x).argmax(1) == y).sum())
            total += len(y)
    model.train()
    return right / total


def time_to_accuracy(data: str, target: float, max_epochs: int, out: Path) -> dict:
    import lightning as L

    from litlab.instantiate import (
        build_callbacks,
        build_datamodule,
        build_loggers,
        build_model,
        build_trainer,
    )

    class Clock(L.Callback):
        """Scores the test set after each epoch with the clock paused."""

        def __init__(self) -> None:
            self.start, self.paused, self.result = 0.0, 0.0, None
            self.history: list[float] = []

        def on_fit_start(self, trainer, pl_module) -> None:
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module) -> None:
            now = time.perf_counter()
            acc = test_accuracy(pl_module, trainer.datamodule)
            self.history.append(acc)
            self.paused += time.perf_counter() - now
            if acc >= target and self.result is None:
                self.result = (now - self.start - self.paused, trainer.current_epoch + 1, acc)
                trainer.should_stop = True

    cfg = compose_with(
        out,
        "experiment=cnn_mnist",
        f"data={data}",
        f"data.data_dir={SHARED_MNIST}",
        "data.download=false",
        f"trainer.max_epochs={max_epochs}",
        "trainer.accelerator=auto",
    )
    L.seed_everything(cfg.seed, workers=True)
    dm, model, loggers = build_datamodule(cfg.data), build_model(cfg), build_loggers(cfg)
    clock = Clock()
    callbacks = [*build_callbacks(cfg, has_logger=bool(loggers)), clock]
    trainer = build_trainer(cfg, callbacks, loggers)
    fit_start = time.perf_counter()
    trainer.fit(model, datamodule=dm)
    total = time.perf_counter() - fit_start - clock.paused
    return {"result": clock.result, "history": clock.history, "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--max-epochs", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="in-memory path only")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if not (SHARED_MNIST / "MNIST" / "raw").is_dir():
        sys.exit(f"skipped: the real-digit split is not at {SHARED_MNIST}")
    paths = ["mnist_memory"] if args.quick else ["mnist", "mnist_memory"]
    rows, seconds = [], {}
    for data in paths:
        with tempfile.TemporaryDirectory() as tmp:
            run = time_to_accuracy(data, args.target, args.max_epochs, Path(tmp))
        accs = " ".join(f"{a:.4f}" for a in run["history"])
        if run["result"]:
            secs, epoch, acc = run["result"]
            seconds[data] = secs
            rows.append([f"data={data}", f"{secs:.1f}", epoch, f"{acc:.4f}", accs])
        else:
            rows.append([f"data={data}", "not reached", "-", "-", accs])
    if len(seconds) == 2:
        ratio = seconds["mnist"] / seconds["mnist_memory"]
        rows.append(["speed-up (torchvision / in-memory)", f"**{ratio:.2f}x**", "", "", ""])
    device = "GPU" if torch.cuda.is_available() else "CPU"
    body = table(
        ["path", f"time to >= {args.target:.1%} (s)", "epoch", "test acc", "test acc per epoch"],
        rows,
    )
    notes = (
        f"experiment=cnn_mnist (CNN, Adam 1e-3, batch 128, seed 42) on {device}; 7,200 train / "
        "800 val / 2,000 test real digits. Test scoring after each epoch is excluded from the time."
    )
    report("Time to accuracy (cnn_mnist, real digits)", body, notes, save=not args.no_save)


if __name__ == "__main__":
    main()
