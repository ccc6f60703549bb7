"""Safe checkpoint loading: plain tensors and containers only, never code from a file."""

import pickle
import zipfile
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import get_class

from litlab.errors import LitlabError


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """`torch.load(weights_only=True)` with one clear error per failure mode."""
    path = Path(path)
    if not path.is_file():
        raise LitlabError(f"checkpoint not found: {path}. Fix: pass ckpt_path=<existing .ckpt>")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "Unsupported global" in str(err) or "weights_only" in str(err).lower():
            raise LitlabError(
                f"refusing to load {path}: it holds Python objects, not just tensors "
                f"({first[:160]}). Only load checkpoints you trust, re-saved as plain state."
            ) from None
        raise LitlabError(f"checkpoint {path} is corrupt or truncated ({first[:160]})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise LitlabError(f"checkpoint {path} is corrupt or truncated ({first[:160]})") from None
    if not isinstance(checkpoint, dict):
        raise LitlabError(f"{path} is not a checkpoint (a {type(checkpoint).__name__}, not a dict)")
    return checkpoint


def task_class(checkpoint: dict[str, Any], path: str | Path) -> type[L.LightningModule]:
    """The LightningModule class a litlab checkpoint was saved from."""
    meta = checkpoint.get("litlab")
    if not isinstance(meta, dict) or "task" not in meta or "hyper_parameters" not in checkpoint:
        raise LitlabError(
            f"{path} is not a litlab checkpoint (no task recorded). For a plain state_dict use "
            "fine-tuning (pretrained=...); litlab checkpoints come from python train.py"
        )
    return get_class(meta["task"])


def load_task(path: str | Path) -> tuple[L.LightningModule, dict[str, Any]]:
    """Rebuild the trained task from a litlab checkpoint; returns (model, checkpoint)."""
    checkpoint = load_checkpoint(path)
    cls = task_class(checkpoint, path)
    try:
        model = cls.load_from_checkpoint(path, map_location="cpu", weights_only=True)
    except RuntimeError as err:  # state_dict does not fit the recorded network
        first = str(err).strip().splitlines()[0]
        raise LitlabError(f"checkpoint {path} does not match its model: {first[:200]}") from None
    return model, checkpoint
