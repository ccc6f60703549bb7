"""Stores what is needed to rebuild a run inside each checkpoint (plain types only)."""

from typing import Any

import lightning as L

import litlab


class RunMetadata(L.Callback):
    """Adds `checkpoint["litlab"]`: the task class and the resolved data config.

    With it, `python eval.py ckpt_path=...` needs nothing but the checkpoint, and the
    checkpoint still loads with `torch.load(weights_only=True)`.
    """

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.data = data
        self.inputs: dict[str, Any] = {}  # input_shape, pixel_stats: what predict/serve need

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """Record one sample's shape as the model sees it (after any on-device transform)."""
        if "input_shape" in self.inputs or not isinstance(batch, list | tuple):
            return
        self.inputs["input_shape"] = [int(s) for s in batch[0].shape[1:]]
        datamodule = trainer.datamodule
        if hasattr(datamodule, "pixel_mean"):
            self.inputs["pixel_stats"] = [float(datamodule.pixel_mean), float(datamodule.pixel_std)]

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        cls = type(pl_module)
        checkpoint["litlab"] = {
            "task": f"{cls.__module__}.{cls.__qualname__}",
            "data": self.data,
            "version": litlab.__version__,
            **self.inputs,
        }
