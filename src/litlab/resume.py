"""`ckpt_path=...` for fitting: find the checkpoint to resume and check it fits the model.

`ckpt_path=last` means the newest `checkpoints/last.ckpt` among the single runs of the same
experiment (`logs/<task_name>/runs/*/`). The resumed run gets a new run folder of its own
(its own config, log and run.json, which records `resumed_from`); the old folder stays as
it ended. Resuming again with `ckpt_path=last` then picks the new folder's last.ckpt.
"""

from pathlib import Path
from typing import Any

import lightning as L

from litlab.checkpoints import load_checkpoint
from litlab.errors import LitlabError

LAST = "last"


def newest_last_checkpoint(
    log_dir: str | Path, task_name: str, exclude: Path | None = None
) -> Path:
    """The most recently written `<run>/checkpoints/last.ckpt` of `task_name`'s single runs."""
    runs = Path(log_dir) / task_name / "runs"
    found = [
        run / "checkpoints" / "last.ckpt"
        for run in (runs.iterdir() if runs.is_dir() else [])
        if run.resolve() != (exclude.resolve() if exclude else None)
        and (run / "checkpoints" / "last.ckpt").is_file()
    ]
    if not found:
        raise LitlabError(
            f"ckpt_path=last: no run of task_name={task_name} under {runs} has "
            "checkpoints/last.ckpt. Fix: train once without ckpt_path, pass the same "
            "experiment/task_name as the run to resume, or pass ckpt_path=<path to a .ckpt>"
        )
    return max(found, key=lambda path: path.stat().st_mtime)


def resolve_ckpt_path(cfg: Any) -> str | None:
    """`cfg.ckpt_path` with `last` resolved to a real file (None: start from scratch)."""
    ckpt_path = cfg.get("ckpt_path")
    if ckpt_path in (None, ""):
        return None
    if str(ckpt_path) == LAST:
        current = Path(cfg.paths.output_dir)
        return str(newest_last_checkpoint(cfg.paths.log_dir, cfg.task_name, exclude=current))
    return str(ckpt_path)


def check_resumable(path: str, model: L.LightningModule) -> None:
    """Load `path` safely (clear errors for missing / corrupt / pickled code) and check it
    holds training state for this very network, before Lightning touches it."""
    checkpoint = load_checkpoint(path)
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict):
        raise LitlabError(
            f"{path} holds no model state_dict, so training cannot resume from it. "
            "Fix: pass ckpt_path=<a .ckpt written by python train.py>"
        )
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(getattr(v, "shape", ())) for k, v in state.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))[:3]
        unexpected = sorted(set(found) - set(expected))[:3]
        shapes = [k for k in set(expected) & set(found) if expected[k] != found[k]][:3]
        saved = (checkpoint.get("litlab") or {}).get("task", "unknown task")
        raise LitlabError(
            f"{path} was saved from a different model ({saved}; missing {missing}, unexpected "
            f"{unexpected}, other shapes {shapes}). Fix: resume with the same model/experiment "
            "overrides as the run that saved it, or drop ckpt_path"
        )
    if "loops" not in checkpoint or "optimizer_states" not in checkpoint:
        raise LitlabError(
            f"{path} holds weights only, not the training state needed to resume. "
            "Fix: resume from a last.ckpt, or fine-tune from its weights (pretrained=...)"
        )
