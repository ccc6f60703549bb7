"""Pictures of a test run: what a table of metrics hides.

Classifiers: `confusion_matrix.png` and `misclassified.png` (a grid of wrong test
predictions); regressors: `pred_vs_true.png`. Saved in the run folder by rank 0 and sent to
TensorBoard / wandb when those loggers are on. Uses matplotlib's object API (no pyplot),
so it never touches the interactive backend.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
import torch
from matplotlib.figure import Figure
from torch import Tensor

log = logging.getLogger(__name__)


def confusion_figure(matrix: Tensor) -> Figure:
    """Counts, rows = true class, columns = predicted class."""
    n = matrix.shape[0]
    fig = Figure(figsize=(1.2 + 0.45 * n, 1 + 0.45 * n), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(matrix.numpy(), cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix (test)")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    if n <= 20:
        threshold = matrix.max().item() / 2
        for (i, j), value in zip(torch.cartesian_prod(torch.arange(n), torch.arange(n)).tolist(),
                                 matrix.flatten().tolist(), strict=True):  # fmt: skip
            ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=7,
                    color="white" if value > threshold else "black")  # fmt: skip
    return fig


def as_image(sample: Tensor) -> Tensor | None:
    """(H, W) or (H, W, 3) for display, scaled to [0, 1]; None when not an image."""
    if sample.ndim == 3 and sample.shape[0] in (1, 3):
        sample = sample[0] if sample.shape[0] == 1 else sample.permute(1, 2, 0)
    elif sample.ndim != 2:
        return None
    low, high = sample.min(), sample.max()
    return (sample - low) / (high - low + 1e-8)


def misclassified_figure(images: list[Tensor], true: list[int], pred: list[int]) -> Figure | None:
    shown = [(img, t, p) for img, t, p in zip(images, true, pred, strict=True)]
    shown = [(as_image(img), t, p) for img, t, p in shown if as_image(img) is not None]
    if not shown:
        return None
    cols = min(5, len(shown))
    rows = (len(shown) + cols - 1) // cols
    fig = Figure(figsize=(1.6 * cols, 1.8 * rows), layout="constrained")
    for k, (img, t, p) in enumerate(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(img.numpy(), cmap="gray")
        ax.set_title(f"true {t} / pred {p}", fontsize=8)
        ax.axis("off")
    return fig


def scatter_figure(pred: Tensor, true: Tensor) -> Figure:
    fig = Figure(figsize=(4.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(true.numpy(), pred.numpy(), s=6, alpha=0.5)
    low, high = min(true.min(), pred.min()).item(), max(true.max(), pred.max()).item()
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="y = x")
    ax.set(xlabel="true", ylabel="predicted", title="predicted vs true (test)")
    ax.legend()
    return fig


class Pictures(L.Callback):
    """Collects a few test predictions, then draws and logs the figures after testing."""

    def __init__(self, dirpath: str | None = None, max_examples: int = 25, max_points: int = 5000):
        self.dirpath, self.max_examples, self.max_points = dirpath, max_examples, max_points
        self._reset()

    def _reset(self) -> None:
        self.wrong: list[tuple[Tensor, int, int]] = []
        self.points: list[tuple[Tensor, Tensor]] = []
        self.n_points = 0

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._reset()

    @torch.no_grad()
    def on_test_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                          batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:  # fmt: skip
        if not trainer.is_global_zero or not isinstance(batch, list | tuple):
            return
        x, y = batch[0], batch[1]
        if hasattr(pl_module, "test_confusion_matrix"):  # a classifier
            if len(self.wrong) < self.max_examples:
                pred = pl_module(x).argmax(dim=1)
                for i in (pred != y).nonzero().flatten()[: self.max_examples - len(self.wrong)]:
                    self.wrong.append((x[i].float().cpu(), int(y[i]), int(pred[i])))
        elif self.n_points < self.max_points:
            pred = pl_module(x).float().flatten().cpu()
            self.points.append((pred, y.float().flatten().cpu()))
            self.n_points += len(pred)

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        figures: dict[str, Figure | None] = {}
        matrix = getattr(pl_module, "test_confusion_matrix", None)
        if isinstance(matrix, Tensor):
            figures["confusion_matrix"] = confusion_figure(matrix)
            figures["misclassified"] = (
                misclassified_figure(*zip(*self.wrong, strict=True)) if self.wrong else None
            )
        elif self.points:
            pred, true = (
                torch.cat(parts)[: self.max_points] for parts in zip(*self.points, strict=True)
            )
            figures["pred_vs_true"] = scatter_figure(pred, true)
        folder = Path(self.dirpath or trainer.default_root_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, fig in figures.items():
            if fig is None:
                continue
            path = folder / f"{name}.png"
            fig.savefig(path, dpi=100)
            self._log(trainer, name, fig, path)
        self._reset()

    @staticmethod
    def _log(trainer: L.Trainer, name: str, fig: Figure, path: Path) -> None:
        from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger

        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_figure(f"test/{name}", fig, global_step=trainer.global_step)
            elif isinstance(logger, WandbLogger):
                logger.log_image(key=f"test/{name}", images=[str(path)], step=trainer.global_step)
