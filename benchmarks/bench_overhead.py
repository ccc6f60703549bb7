"""Framework overhead: litlab's fit vs a hand-written PyTorch loop (target <= 1.05x).

Same CNN (litlab's, built from conf/model/cnn.yaml), same Adam, same in-memory MNIST-sized
tensors, same batches, steps and precision. litlab runs with its default trainer, callbacks
(progress bar, checkpointing, model summary, pictures, LR monitor) and CSV logger; the plain
loop tracks loss and accuracy and saves one checkpoint at the end, as a hand-written loop
would. Both are timed from "model built" to "steps done", alternately A/B, and the median
of the per-pair ratios is reported.

    python benchmarks/bench_overhead.py            # 5 pairs of 100 steps
    python benchmarks/bench_overhead.py --quick    # 2 pairs of 15 steps
"""

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_MNIST, median, report, table  # noqa: E402

BATCH = 128


def digits(n: int) -> TensorDataset:
    """n normalised real digits when the shared split is there, else random MNIST-sized data."""
    from litlab.data.mnist_memory import MNISTMemoryDataModule

    if (SHARED_MNIST / "MNIST" / "raw").is_dir():
        dm = MNISTMemoryDataModule(data_dir=str(SHARED_MNIST), download=False)
        dm.setup()
        x, y = dm.to_model_input((dm.data_train.images, dm.data_train.targets))
        reps = -(-n // len(y))  # the split has 7,200 images: repeat them for longer runs
        x, y = x.repeat(reps, 1, 1, 1)[:n], y.repeat(reps)[:n]
    else:
        x, y = torch.randn(n, 1, 28, 28), torch.randint(0, 10, (n,))
    return TensorDataset(x, y)


def loader(data: TensorDataset) -> DataLoader:
    return DataLoader(
        data, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0)
    )


def compose_with(out: Path, *overrides: str):
    """conf/train.yaml with `overrides`, Hydra's runtime set as the CLI would, logs in `out`."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "train", overrides=[*overrides, f"paths.log_dir={out}"], return_hydra_config=True
        )
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(out)
        cfg.hydra.job.num = 0
    HydraConfig.instance().set_config(cfg)
    return cfg


def compose_overhead(precision: str, out: Path):
    return compose_with(
        out,
        "experiment=cnn_mnist",
        f"trainer.precision={precision}",
        "trainer.max_epochs=1",
        "+trainer.limit_val_batches=0",
        "trainer.accelerator=cpu",
        "monitor=train/loss",
        "monitor_mode=min",
    )


def run_litlab(cfg, data: TensorDataset) -> float:
    from litlab.instantiate import build_callbacks, build_loggers, build_model, build_trainer

    torch.manual_seed(0)
    model = build_model(cfg)
    start = time.perf_counter()
    loggers = build_loggers(cfg)
    trainer = build_trainer(cfg, build_callbacks(cfg, has_logger=bool(loggers)), loggers)
    trainer.fit(model, train_dataloaders=loader(data))
    return time.perf_counter() - start


def run_plain(cfg, data: TensorDataset, precision: str, out: Path) -> float:
    from litlab.models.base import build_net
    from litlab.utils.containers import to_plain

    torch.manual_seed(0)
    net = build_net(to_plain(cfg.model.net))
    start = time.perf_counter()
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.model.optimizer.lr)
    autocast = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if precision.startswith("bf16")
        else contextlib.nullcontext()
    )
    net.train()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader(data):
        with autocast:
            logits = net(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach() * len(y)
        correct += (logits.argmax(1) == y).sum()
        seen += len(y)
    print(f"plain loop: loss {float(total_loss) / seen:.4f}, acc {int(correct) / seen:.4f}")
    torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict()}, out / "plain.pt")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="optimizer steps per run")
    parser.add_argument("--pairs", type=int, default=5, help="A/B pairs (median ratio)")
    parser.add_argument("--precision", default="32-true", help="32-true or bf16-mixed")
    parser.add_argument("--quick", action="store_true", help="15 steps, 2 pairs")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.pairs = 15, 2
    data = digits(args.steps * BATCH)
    rows, ratios, runs = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cfg = compose_overhead(args.precision, out)
        run_plain(cfg, digits(2 * BATCH), args.precision, out)  # warm-up, not timed
        run_litlab(cfg, digits(2 * BATCH))
        for pair in range(args.pairs):
            plain = run_plain(cfg, data, args.precision, out)
            lit = run_litlab(compose_overhead(args.precision, out / f"run{pair}"), data)
            ratios.append(lit / plain)
            runs.append((pair, plain, lit))
            rows.append([pair + 1, f"{plain:.2f}", f"{lit:.2f}", f"{lit / plain:.3f}x"])
    ratio = median(ratios)
    rows.append(["median of pair ratios", "", "", f"**{ratio:.3f}x**"])
    fastest = min(r[2] for r in runs) / min(r[1] for r in runs)
    rows.append(
        [
            "fastest vs fastest",
            f"{min(r[1] for r in runs):.2f}",
            f"{min(r[2] for r in runs):.2f}",
            f"{fastest:.3f}x",
        ]
    )
    body = table(["pair", "plain PyTorch loop (s)", "litlab fit (s)", "litlab / plain"], rows)
    notes = (
        f"{args.steps} steps x batch {BATCH}, CNN (conv32-conv64-fc128), Adam, precision "
        f"{args.precision}, CPU. Target <= 1.05x: {'met' if ratio <= 1.05 else 'NOT met'}. "
        "On a shared machine single runs swing with other load; the fastest run of each side "
        "is the least disturbed one."
    )
    report("Framework overhead: litlab fit vs plain PyTorch", body, notes, save=not args.no_save)


if __name__ == "__main__":
    main()
