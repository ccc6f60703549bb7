"""Build the run's objects from config: data, model, callbacks, loggers, trainer."""

import logging
from typing import Any

import lightning as L
from hydra.utils import instantiate
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig

from litlab.errors import LitlabError
from litlab.preflight import check_devices
from litlab.utils.containers import to_plain

log = logging.getLogger(__name__)


def route_lightning_logs() -> None:
    """Send Lightning's console messages through the root logger, so the run's log file
    (configured by Hydra) holds them too."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def _group(cfg: DictConfig | None) -> list[Any]:
    """Instantiate each `_target_` entry of a config group (callbacks, loggers)."""
    if not cfg:
        return []
    return [instantiate(node) for node in cfg.values() if node and "_target_" in node]


def build_loggers(cfg: DictConfig) -> list[Logger]:
    return _group(cfg.get("logger"))


def build_callbacks(cfg: DictConfig, has_logger: bool) -> list[L.Callback]:
    callbacks = _group(cfg.get("callbacks"))
    if not has_logger:  # LearningRateMonitor refuses to run without a logger
        callbacks = [c for c in callbacks if not isinstance(c, LearningRateMonitor)]
    return callbacks


def build_model(cfg: DictConfig) -> L.LightningModule:
    """The task gets its network/optimiser configs as plain dicts, not objects."""
    if not cfg.get("model"):
        raise LitlabError("no model configured. Fix: pass model=<mlp|cnn|linreg> or experiment=...")
    return instantiate(to_plain(cfg.model), _recursive_=False)


def build_datamodule(data_cfg: Any) -> L.LightningDataModule:
    if not data_cfg:
        raise LitlabError("no data configured. Fix: pass data=<name> or experiment=...")
    # Plain lists/dicts: DataModule hparams go into checkpoints, which must load weights_only.
    return instantiate(data_cfg, _convert_="all")


def build_trainer(cfg: DictConfig, callbacks: list[L.Callback], loggers: list[Logger]) -> L.Trainer:
    check_devices(cfg.trainer)  # devices > available: one line, not a crash in spawned ranks
    return instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
