"""RNG states inside checkpoints, so dropout and augmentation continue exactly on resume."""

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


class RNGState(L.Callback):
    """Saves the generator states with every checkpoint; restores them when fitting resumes.

    Lightning restores weights, optimiser, scheduler and loop counters but not the RNGs;
    without this, dropout masks after a resume differ from an uninterrupted run.
    (Per rank: each process stores and restores its own states.)
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
