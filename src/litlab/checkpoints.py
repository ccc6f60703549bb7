"""Safe checkpoint loading: plain tensors and containers only, never code from a file."""

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import get_class

from litlab.errors import LitlabError


def _refused_global(message: str) -> str | None:
    """The code a pickle tried to import (`posix.system`), if that is why torch refused it."""
    match = re.search(r"unsupported global:?\s*(?:GLOBAL\s+)?([\w.]+)", message, re.IGNORECASE)
    return match.group(1) if match else None


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """`torch.load(weights_only=True)` with one clear error per failure mode: missing,
    corrupt/truncated, carrying pickled code (refused: nothing in it runs), not a dict."""
    path = Path(path)
    if not path.is_file():
        raise LitlabError(
            f"checkpoint not found: {path}. Fix: pass ckpt_path=<an existing .ckpt>, e.g. "
            "logs/<task_name>/runs/<run>/checkpoints/last.ckpt"
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if code := _refused_global(str(err)):
            raise LitlabError(
                f"refusing to load {path}: it carries pickled Python code ({code}), not just "
                "tensors, and litlab never runs code from a checkpoint. Fix: use a checkpoint "
                "written by python train.py, or re-save this one as plain tensors where you trust it"
            ) from None
        raise _corrupt(path, err) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError) as err:
        raise _corrupt(path, err) from None
    if not isinstance(checkpoint, dict):
        raise LitlabError(
            f"{path} is not a checkpoint (it holds a {type(checkpoint).__name__}, not a dict). "
            "Fix: pass ckpt_path=<a .ckpt written by python train.py>"
        )
    return checkpoint


def _corrupt(path: Path, err: BaseException) -> LitlabError:
    text = str(err).strip()
    reason = "unexpected end of file" if isinstance(err, EOFError) or not text else text
    if "central directory" in reason or "zip archive" in reason:
        reason = "not a complete zip archive"
    elif "Unsupported operand" in reason or len(reason) > 120:
        reason = "unreadable pickle data"
    return LitlabError(
        f"checkpoint {path} is corrupt or truncated ({reason}; {path.stat().st_size} bytes). "
        "Fix: use another checkpoint (e.g. the run's last.ckpt or best one) or re-train"
    )


def task_class(checkpoint: dict[str, Any], path: str | Path) -> type[L.LightningModule]:
    """The LightningModule class a litlab checkpoint was saved from."""
    meta = checkpoint.get("litlab")
    if not isinstance(meta, dict) or "task" not in meta or "hyper_parameters" not in checkpoint:
        raise LitlabError(
            f"{path} is not a litlab checkpoint (no task recorded). Fix: pass a .ckpt written "
            "by python train.py, or fine-tune from a plain state_dict with pretrained=<path>"
        )
    try:
        cls = get_class(str(meta["task"]))
    except (ImportError, ValueError, AttributeError) as err:
        cls, reason = None, str(err).splitlines()[0][:120] if str(err) else type(err).__name__
    else:
        reason = "not a LightningModule"
    # Only a LightningModule subclass may rebuild it: a tampered `task` must not pick any callable.
    if not (isinstance(cls, type) and issubclass(cls, L.LightningModule)):
        raise LitlabError(
            f"{path} records task {meta['task']!r}, which cannot rebuild it ({reason}). "
            "Fix: use a checkpoint from this litlab version, or load it with the task class"
        )
    return cls


def load_task(path: str | Path) -> tuple[L.LightningModule, dict[str, Any]]:
    """Rebuild the trained task from a litlab checkpoint; returns (model, checkpoint)."""
    checkpoint = load_checkpoint(path)
    cls = task_class(checkpoint, path)
    try:
        model = cls.load_from_checkpoint(path, map_location="cpu", weights_only=True)
    except RuntimeError as err:  # state_dict does not fit the recorded network
        details = [
            line.strip()[:120]
            for line in str(err).splitlines()
            if line.strip().startswith(("Missing key", "Unexpected key", "size mismatch"))
        ]
        raise LitlabError(
            f"checkpoint {path} does not fit the model its hyper-parameters describe "
            f"({'; '.join(details[:2]) or str(err).splitlines()[0][:160]}): it was saved from "
            "another model or edited. Fix: pass ckpt_path=<a .ckpt written by python train.py>"
        ) from None
    return model, checkpoint
