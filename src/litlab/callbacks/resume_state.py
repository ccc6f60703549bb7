"""What Lightning does not restore on resume: RNG states and the position inside an epoch.

With both, 1 epoch + resume equals 2 epochs straight bit for bit, and a run stopped
mid-epoch (SIGTERM) continues with the very batches it had not seen yet.
"""

import random
from typing import Any

import lightning as L
import numpy as np
import torch

KEY = "litlab_rng"


def capture_rng() -> dict[str, Any]:
    """python / numpy / torch (and CUDA) generator states as tensors, ints and lists only:
    the checkpoint still loads with `torch.load(weights_only=True)`."""
    version, state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    rng: dict[str, Any] = {
        "python": [version, list(state), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return rng


def restore_rng(rng: dict[str, Any]) -> None:
    version, state, gauss = rng["python"]
    random.setstate((version, tuple(state), gauss))
    kind, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(rng["torch"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


def resume_position(checkpoint: dict[str, Any]) -> tuple[int, int]:
    """(epoch to resume in, training batches of it already used) for a fit checkpoint:
    (e, k) mid-epoch; (e + 1, 0) for one saved at the end of epoch e."""
    epoch = int(checkpoint.get("epoch", 0))
    try:
        progress = checkpoint["loops"]["fit_loop"]["epoch_loop.batch_progress"]
    except (KeyError, TypeError):
        return epoch, 0
    if progress.get("is_last_batch"):
        return epoch + 1, 0
    return epoch, int(progress["current"]["processed"])


class ResumeState(L.Callback):
    """Saves the generator states with every checkpoint; on resume restores them and tells
    the datamodule how many batches of the current epoch to skip.

    Lightning restores weights, optimiser, scheduler and loop counters but not the RNGs
    (dropout masks would differ) nor the data position (a mid-epoch restart would replay the
    epoch's first batches). Per rank: each process stores and restores its own states.
    """

    def on_save_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        checkpoint[KEY] = capture_rng()

    def on_load_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if KEY in checkpoint:
            restore_rng(checkpoint[KEY])
        datamodule = trainer.datamodule
        if hasattr(datamodule, "resume_at"):  # BaseDataModule: its sampler starts there
            datamodule.resume_at = resume_position(checkpoint)
