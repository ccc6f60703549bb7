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

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        datamodule = trainer.datamodule
        dataset = getattr(datamodule, "data_train", None)
        if dataset is not None and len(dataset) > 0:
            sample = dataset[0][0]
            self.inputs["input_shape"] = [int(s) for s in getattr(sample, "shape", ())]
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
