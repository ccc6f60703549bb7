"""Stop at the first NaN/inf loss, before it reaches the weights or a checkpoint."""

import lightning as L
import torch

from litlab.callbacks.preemption import last_checkpoint_path
from litlab.errors import LitlabError


class FiniteLossGuard(L.Callback):
    """Checks the training loss before every backward pass.

    On NaN/inf it raises a `LitlabError` naming the step, so the run ends as `failed` with a
    one-line message. The weights are never updated with that loss and no checkpoint is
    written after it: the last checkpoint on disk is the last good state.
    """

    def on_before_backward(
        self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor
    ) -> None:
        if bool(torch.isfinite(loss.detach()).all()):
            return
        value = loss.detach().float().cpu()
        value = value.item() if value.numel() == 1 else "non-finite"
        last = last_checkpoint_path(trainer)
        kept = (
            f"last good checkpoint: {last}"
            if last.is_file()
            else "no checkpoint was saved before it"
        )
        raise LitlabError(
            f"training loss is {value} at step {trainer.global_step} (epoch "
            f"{trainer.current_epoch}, batch {trainer.fit_loop.epoch_loop.batch_idx}); "
            f"training stopped, {kept}. Fix: lower model.optimizer.lr, clip gradients "
            "(trainer.gradient_clip_val=1.0) or check the data for NaN/inf"
        )
