"""Fine-tuning: start from pretrained weights, swap the head, freeze the backbone a while.

`python train.py experiment=cnn_finetune pretrained=<ckpt or state_dict>`; the knobs live
under `finetune:` in conf/train.yaml.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.fabric.utilities.rank_zero import rank_zero_only
from lightning.pytorch.callbacks import BaseFinetuning
from torch import nn
from torch.optim import Optimizer

from litlab.checkpoints import load_checkpoint
from litlab.errors import LitlabError

log = logging.getLogger(__name__)
info = rank_zero_only(log.info)


def pretrained_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Network weights (keys relative to the task's `net`) from a litlab/Lightning checkpoint
    or a plain state_dict of the task or of the bare network. Loaded with weights_only=True."""
    checkpoint = load_checkpoint(path)
    state = checkpoint.get("state_dict", checkpoint)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise LitlabError(
            f"{path} holds no state_dict of tensors. Fix: pass pretrained=<litlab .ckpt or a "
            "file saved with torch.save(net.state_dict())>"
        )
    if any(k.startswith("net.") for k in state):  # a task's state: keep the network's part
        state = {k.removeprefix("net."): v for k, v in state.items() if k.startswith("net.")}
    return state


def backbone_modules(net: nn.Module) -> list[nn.Module]:
    """Everything in the network but its `head` (the part fine-tuning keeps)."""
    return [module for name, module in net.named_children() if name != "head"]


def load_pretrained(net: nn.Module, path: str | Path, reset_head: bool = False) -> dict[str, Any]:
    """Load `path` into `net`; the head is left freshly initialised when its shape differs
    (another number of classes) or `reset_head` is set. Returns what happened."""
    state = pretrained_state(path)
    own = net.state_dict()
    head_keys = {f"head.{k}" for k in net.head.state_dict()}
    differs = any(k in state and state[k].shape != own[k].shape for k in head_keys)
    replace_head = reset_head or differs
    if replace_head:
        old = state.get("head.weight")
        state = {k: v for k, v in state.items() if k not in head_keys}
    clashes = [
        f"{k} {tuple(v.shape)} vs {tuple(own[k].shape)}"
        for k, v in state.items()
        if k in own and v.shape != own[k].shape
    ]
    if clashes:
        raise LitlabError(
            f"pretrained weights do not fit this network ({'; '.join(clashes[:3])}). "
            "Fix: configure model.net like the pretrained run"
        )
    result = net.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not (replace_head and k in head_keys)]
    loaded = len(state) - len(result.unexpected_keys)
    if loaded == 0:
        raise LitlabError(f"no weight in {path} matches this network. Fix: check model.net")
    info("pretrained: loaded %d tensors from %s", loaded, path)
    info("pretrained: missing keys: %s", ", ".join(missing) or "none")
    info("pretrained: unexpected keys: %s", ", ".join(result.unexpected_keys) or "none")
    if replace_head:
        before = old.shape[0] if old is not None else "?"
        why = "reset_head=true" if reset_head and not differs else "class count differs"
        info(
            "pretrained: head re-initialised (%s): %s -> %d outputs",
            why,
            before,
            net.head.out_features,
        )
    return {"loaded": loaded, "missing": missing, "unexpected": list(result.unexpected_keys),
            "head_replaced": replace_head}  # fmt: skip


class FreezeBackbone(BaseFinetuning):
    """Trains only the head for `freeze_epochs`, then the whole network, the backbone at
    `backbone_lr_factor` x the head's learning rate (a new optimiser param group)."""

    def __init__(self, freeze_epochs: int, backbone_lr_factor: float = 1.0) -> None:
        super().__init__()
        if (
            isinstance(freeze_epochs, bool)
            or not isinstance(freeze_epochs, int)
            or freeze_epochs < 0
        ):
            raise LitlabError(
                f"finetune.freeze_epochs must be an integer >= 0, got {freeze_epochs!r}"
            )
        if not backbone_lr_factor > 0:
            raise LitlabError(
                f"finetune.backbone_lr_factor must be > 0, got {backbone_lr_factor!r}"
            )
        self.freeze_epochs = freeze_epochs
        self.backbone_lr_factor = float(backbone_lr_factor)

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if trainer.world_size > 1:  # DDP registers only the parameters trainable when it wraps
            raise LitlabError(
                "finetune: freezing the backbone does not work across processes (DDP would never "
                "sync the unfrozen weights). Fix: finetune.freeze_epochs=0 "
                "finetune.backbone_lr_factor=1.0, or train on one device"
            )
        super().setup(trainer, pl_module, stage)

    def freeze_before_training(self, pl_module: L.LightningModule) -> None:
        self.freeze(backbone_modules(pl_module.net), train_bn=False)

    def finetune_function(
        self, pl_module: L.LightningModule, epoch: int, optimizer: Optimizer
    ) -> None:
        if epoch != self.freeze_epochs:
            return
        lr = optimizer.param_groups[0]["lr"] * self.backbone_lr_factor
        modules = backbone_modules(pl_module.net)
        self.unfreeze_and_add_param_group(modules, optimizer, lr=lr, train_bn=True)
        info("finetune: epoch %d, backbone unfrozen at lr %.3g", epoch, lr)


def setup_finetuning(cfg: Any, model: L.LightningModule) -> list[L.Callback]:
    """Apply `cfg.pretrained` to `model`; the callbacks that freeze/unfreeze (none if unset)."""
    path = cfg.get("pretrained")
    if not path:
        return []
    options = cfg.get("finetune") or {}
    load_pretrained(model.net, path, reset_head=bool(options.get("reset_head", False)))
    freeze_epochs = options.get("freeze_epochs", 0)
    factor = options.get("backbone_lr_factor", 1.0)
    if freeze_epochs == 0 and factor == 1.0:
        return []
    return [FreezeBackbone(freeze_epochs, factor)]
