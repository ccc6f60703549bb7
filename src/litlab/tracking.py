"""Experiment tracking with Weights & Biases: offline by default, files in the run folder.

`conf/logger/wandb.yaml` builds its logger with `wandb_logger` below, which
- keeps every wandb file under the run folder (WANDB_DIR/CACHE/DATA/CONFIG_DIR), never `~`;
- runs offline (no login, no network) unless WANDB_API_KEY is set; `wandb sync` uploads later;
- logs checkpoints as artifacts (`log_model`) only online: Lightning refuses it offline;
- in a multirun makes one wandb run per job, grouped by the sweep folder, named after the
  job number and its overrides (wandb's default would return the previous job's run).
"""

import logging
import os
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def use_run_folder(save_dir: str | Path) -> Path:
    """Point every wandb directory into `<save_dir>/wandb` (set before wandb starts a run)."""
    root = Path(save_dir).resolve() / "wandb"
    for var, sub in (("WANDB_CACHE_DIR", "cache"), ("WANDB_DATA_DIR", "data"),
                     ("WANDB_CONFIG_DIR", "config")):  # fmt: skip
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(root / sub)
    os.environ["WANDB_DIR"] = str(root.parent)  # wandb adds the `wandb/` folder itself
    return root


def sweep_identity(default_name: str | None) -> tuple[str | None, str | None]:
    """(group, name) for this job: the sweep folder's name and `<job num>-<overrides>` in a
    multirun; (None, default_name) in a single run."""
    from litlab.cli import is_multirun

    if not is_multirun():
        return None, default_name
    from hydra.core.hydra_config import HydraConfig

    hydra = HydraConfig.get()
    overrides = hydra.job.override_dirname
    return Path(hydra.sweep.dir).name, f"{hydra.job.num}-{overrides}" if overrides else str(
        hydra.job.num
    )


def wandb_logger(
    save_dir: str,
    offline: bool | None = None,
    log_model: bool | str = True,
    name: str | None = None,
    group: str | None = None,
    tags: list[str] | None = None,
    **kwargs: Any,
) -> Any:
    """A Lightning WandbLogger; `offline=None`: online only when WANDB_API_KEY is set."""
    from lightning.pytorch.loggers import WandbLogger

    use_run_folder(save_dir)
    online = (not offline) if offline is not None else bool(os.environ.get("WANDB_API_KEY"))
    os.environ["WANDB_MODE"] = "online" if online else "offline"
    sweep_group, job_name = sweep_identity(name)
    return WandbLogger(
        save_dir=save_dir,
        offline=not online,
        log_model=log_model if online else False,
        name=job_name,
        group=group or sweep_group,
        tags=list(tags or []),
        reinit="finish_previous",  # a second job in this process gets a new run, never the last
        **kwargs,
    )


class FinishTracking(Callback):
    """Hydra callback: finish the job's wandb run when the job ends (flushes offline files)."""

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        wandb = sys.modules.get("wandb")
        if wandb is not None and getattr(wandb, "run", None) is not None:
            failed = (
                getattr(job_return, "status", None) is not None
                and job_return.status.name == "FAILED"
            )
            wandb.finish(exit_code=1 if failed else 0)
            wandb.teardown()  # the next job starts wandb's service with its own folders
