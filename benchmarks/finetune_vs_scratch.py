"""Why fine-tuning matters, measured on real digits: pre-train the CNN on digits 0-4, then
learn digits 5-9 from a small labelled budget, fine-tuned vs from scratch.

Every run is the real CLI (`python train.py ...`). Both arms see the same images (same
`data.samples_per_class` budget, same seeded subset), the same epochs, batch size and
optimiser; early stopping is off and each arm is tested on its final weights (a
validation set of a few images per class cannot pick a checkpoint), on all test digits 5-9. Not part of `make bench` (a few minutes):

    python benchmarks/finetune_vs_scratch.py                     # budgets 5 and 20, 2 seeds
    python benchmarks/finetune_vs_scratch.py --budgets 10 --seeds 0
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_MNIST, report, table  # noqa: E402

OLD, NEW = "[0,1,2,3,4]", "[5,6,7,8,9]"


def run(out: Path, *overrides: str) -> dict[str, float]:
    """`python train.py <overrides>` into `out`; returns its metrics.json."""
    cmd = [sys.executable, str(ROOT / "train.py"), *overrides, f"hydra.run.dir={out}",
           f"paths.log_dir={out.parent}", "logger=csv", "callbacks.rich_progress_bar=null"]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr[-3000:]}")
    return json.loads((out / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=SHARED_MNIST)
    parser.add_argument("--budgets", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if not (args.data_dir / "MNIST" / "raw").is_dir():
        raise SystemExit(f"real digits not found in {args.data_dir} (pass --data-dir)")
    data = [f"data.data_dir={args.data_dir}", "data.download=false", "model.num_classes=5"]

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        pre = run(tmp_path / "pretrain", "experiment=cnn_mnist", *data, f"data.classes={OLD}",
                  f"trainer.max_epochs={args.pretrain_epochs}")  # fmt: skip
        ckpt = tmp_path / "pretrain" / "checkpoints" / "last.ckpt"
        pretrain_s = time.perf_counter() - start
        rows, summary = [], []
        for budget in args.budgets:
            accs: dict[str, list[float]] = {"finetune": [], "scratch": []}
            for seed in args.seeds:
                common = [*data, f"data.classes={NEW}", f"data.samples_per_class={budget}",
                          f"data.seed={seed}", f"seed={seed}", f"data.batch_size={args.batch_size}",
                          f"trainer.max_epochs={args.epochs}", "callbacks.early_stopping=null",
                          "callbacks.model_checkpoint.monitor=null", "trainer.check_val_every_n_epoch=10"]  # fmt: skip
                arms = {
                    "finetune": ["experiment=cnn_finetune", f"pretrained={ckpt}", *common],
                    "scratch": ["experiment=cnn_mnist", *common],
                }
                for arm, overrides in arms.items():
                    metrics = run(tmp_path / f"{arm}_{budget}_{seed}", *overrides)
                    accs[arm].append(metrics["test/acc"])
                rows.append(
                    [budget, seed, f"{accs['finetune'][-1]:.2%}", f"{accs['scratch'][-1]:.2%}"]
                )
            ft, sc = statistics.mean(accs["finetune"]), statistics.mean(accs["scratch"])
            summary.append(
                [
                    budget,
                    len(args.seeds),
                    f"**{ft:.2%}**",
                    f"{sc:.2%}",
                    f"{(1 - ft) / max(1 - sc, 1e-9):.2f}x",
                ]
            )
        total_s = time.perf_counter() - start

    body = (
        table(
            [
                "images per class",
                "seeds",
                "fine-tuned test acc (mean)",
                "from scratch test acc (mean)",
                "error ratio (fine-tuned / scratch)",
            ],
            summary,
        )  # fmt: skip
        + "\n\nPer seed:\n\n"
        + table(["images per class", "seed", "fine-tuned", "from scratch"], rows)
    )
    notes = (
        f"Pre-training on digits 0-4 ({args.pretrain_epochs} epochs): test acc on 0-4 "
        f"{pre['test/acc']:.2%}, {pretrain_s:.0f} s. Budget = training images per class of 5-9 "
        f"(plus the matching 10% share for validation); {args.epochs} epochs, batch {args.batch_size}, Adam 1e-3; "
        "fine-tuning: new head, backbone frozen 2 epochs, then everything at the same lr. Both "
        "arms are tested on their final weights, on all test digits "
        f"5-9 of {args.data_dir.name}. Total {total_s:.0f} s."
    )
    report("Fine-tuning vs training from scratch (finetune_vs_scratch.py)", body, notes,
           save=not args.no_save)  # fmt: skip


if __name__ == "__main__":
    main()
