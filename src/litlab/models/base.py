"""Shared training logic: network building, optional compile, optimisers and schedulers."""

import inspect
from typing import Any

import lightning as L
import torch
from hydra.utils import get_class, instantiate
from torch import Tensor, nn
from torchmetrics import MeanMetric, Metric, MetricCollection

from litlab.utils.containers import to_plain

STAGES = ("train", "val", "test")


def build_net(net: dict[str, Any]) -> nn.Module:
    """Instantiate a network from its `_target_` config (a plain dict)."""
    return instantiate(net, _convert_="all")


class BaseTask(L.LightningModule):
    """Base for litlab tasks.

    Every constructor argument is a plain container (the network, optimiser and scheduler
    are `_target_` configs, not objects), so a checkpoint's hyper-parameters load with
    `weights_only=True` and `Task.load_from_checkpoint(path)` rebuilds the model anywhere.
    """

    net: nn.Module
    criterion: nn.Module
    best_key: str  # validation metric whose best value is logged as `val/<key>_best`

    def save_plain_hyperparameters(self) -> None:
        """save_hyperparameters() of the caller's __init__, with OmegaConf nodes made plain."""
        self.save_hyperparameters(logger=False, frame=inspect.currentframe().f_back)
        for key in list(self.hparams):
            self.hparams[key] = to_plain(self.hparams[key])

    def setup_net(self) -> None:
        """Build `self.net`; compile a shadow reference only, so state_dict keys stay `net.*`."""
        self.net = build_net(self.hparams.net)
        self._compiled: nn.Module | None = None
        if self.hparams.get("compile"):
            # Not registered as a submodule: checkpoints from compiled and uncompiled runs
            # share keys and load into each other.
            object.__setattr__(self, "_compiled", torch.compile(self.net))

    def forward(self, x: Tensor) -> Tensor:
        # `is None`, not `or`: a compiled module's truth value calls __len__, which raises.
        return (self.net if self._compiled is None else self._compiled)(x)

    def parameter_groups(self) -> list[dict[str, Any]] | Any:
        """Parameters handed to the optimiser; override for per-layer learning rates."""
        return [p for p in self.parameters() if p.requires_grad]

    def configure_optimizers(self) -> Any:
        optimizer = instantiate(self.hparams.optimizer)(params=self.parameter_groups())
        scheduler_cfg = self.hparams.get("scheduler")
        if not scheduler_cfg:
            return optimizer
        scheduler_cfg = dict(scheduler_cfg)
        interval = scheduler_cfg.pop("interval", "epoch")
        monitor = scheduler_cfg.pop("monitor", "val/loss")
        extra: dict[str, Any] = {}
        if get_class(scheduler_cfg["_target_"]) is torch.optim.lr_scheduler.OneCycleLR:
            extra["total_steps"] = int(self.trainer.estimated_stepping_batches)
            interval = "step"
            if not {"momentum", "betas"} & set(optimizer.defaults):  # e.g. Adagrad
                extra["cycle_momentum"] = False
        scheduler = instantiate(scheduler_cfg)(optimizer=optimizer, **extra)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": interval, "monitor": monitor},
        }

    # ---- the stage loop shared by every task -------------------------------------------

    def init_metrics(self, make: Any, best: Metric) -> None:
        """Per-stage metric collections from `make()`, a loss mean per stage, and `best`."""
        # ModuleDict keys may not shadow nn.Module attributes such as `train`.
        self.metrics = nn.ModuleDict({f"{s}_metrics": make() for s in STAGES})
        self.losses = nn.ModuleDict({f"{s}_loss": MeanMetric() for s in STAGES})
        self.val_best = best

    def predictions(self, output: Tensor) -> Tensor:
        """What the metrics compare with the targets (class ids for classifiers)."""
        return output.detach()

    def on_train_start(self) -> None:
        # Sanity-check batches must not count towards the best validation score.
        self.val_best.reset()

    def _step(self, batch: tuple[Tensor, Tensor], stage: str) -> Tensor:
        x, y = batch
        output = self(x)
        loss = self.criterion(output, y)
        preds = self.predictions(output)
        # weighted by batch size: the epoch loss is the mean over samples, whatever the batching
        self.losses[f"{stage}_loss"].update(loss.detach(), weight=len(y))
        self.metrics[f"{stage}_metrics"].update(preds, y)
        self.on_stage_batch(stage, preds, y)
        return loss

    def on_stage_batch(self, stage: str, preds: Tensor, target: Tensor) -> None:
        """Hook for extra per-batch bookkeeping (e.g. a test confusion matrix)."""

    def _log_epoch(self, stage: str) -> dict[str, Tensor]:
        collection: MetricCollection = self.metrics[f"{stage}_metrics"]
        # Epoch values are computed here, in the module's hook, on every rank alike: a metric
        # object logged from a step would be synced lazily by whoever reads it first, and under
        # DDP the rank-0-only progress bar reads it first, so the ranks' collectives mismatch.
        values = collection.compute()  # torchmetrics syncs its states across ranks
        loss = self.losses[f"{stage}_loss"]
        self.log(f"{stage}/loss", loss.compute(), prog_bar=True, sync_dist=True)
        self.log_dict({f"{stage}/{k}": v for k, v in values.items()}, sync_dist=True)
        collection.reset()
        loss.reset()
        return values

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        values = self._log_epoch("val")
        self.val_best(values[self.best_key])
        self.log(
            f"val/{self.best_key}_best", self.val_best.compute(), prog_bar=True, sync_dist=True
        )

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: Any, batch_idx: int) -> Tensor:
        x = batch[0] if isinstance(batch, list | tuple) else batch
        return self(x)
