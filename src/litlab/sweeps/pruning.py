"""Stop hopeless Optuna trials early: a Lightning callback that reports to the study.

The Optuna sweeper sets `LITLAB_OPTUNA_TRIAL=<number>` in each trial's job. This callback
then reports `monitor` after every validation epoch and, when the study's pruner says so,
raises `optuna.TrialPruned`: the run record says `TrialPruned: ...`, the sweeper tells the
study PRUNED and the sweep summary lists the job as pruned. Outside an Optuna sweep (plain
runs, grid sweeps) it does nothing.
"""

import logging
import os
from typing import Any

import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import OmegaConf

from litlab.sweeps import PRUNING_ENV

log = logging.getLogger(__name__)


def _sweeper_config() -> dict[str, Any] | None:
    """The Optuna sweeper's config of this job (plain types, so DDP workers can unpickle it)."""
    if not HydraConfig.initialized():
        return None
    sweeper = HydraConfig.get().get("sweeper")
    if not sweeper or "study_name" not in sweeper or not sweeper.get("storage"):
        return None
    return OmegaConf.to_container(sweeper, resolve=True)


class OptunaPruning(L.Callback):
    """Report `monitor` per validation epoch to this job's trial; prune when told to."""

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        number = os.environ.get(PRUNING_ENV)
        self.trial_number = int(number) if number else None
        self.sweeper = _sweeper_config() if number else None
        self._trial: Any = None

    @property
    def active(self) -> bool:
        return self.trial_number is not None and bool(self.sweeper and self.sweeper.get("pruner"))

    def _get_trial(self) -> Any:
        if self._trial is None:
            import optuna

            assert self.sweeper is not None
            study = optuna.load_study(
                study_name=self.sweeper["study_name"],
                storage=self.sweeper["storage"],
                pruner=instantiate(self.sweeper["pruner"]),
            )
            trial_id = study._storage.get_trial_id_from_study_id_trial_number(
                study._study_id, self.trial_number
            )
            self._trial = optuna.Trial(study, trial_id)
        return self._trial

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.active or trainer.sanity_checking:
            return
        prune = False
        if trainer.is_global_zero:
            value = trainer.callback_metrics.get(self.monitor)
            if value is None:
                log.warning("pruning: %r was not logged; nothing reported", self.monitor)
            else:
                trial = self._get_trial()
                trial.report(float(value), step=trainer.current_epoch)
                prune = trial.should_prune()
        prune = trainer.strategy.broadcast(prune, src=0)  # every rank stops together
        if prune:
            import optuna

            message = f"trial {self.trial_number} pruned at epoch {trainer.current_epoch}"
            log.info(message)
            raise optuna.TrialPruned(message)
