"""A Hydra Sweeper on Optuna's ask/tell API (current optuna, SQLAlchemy 2).

Why not hydra-optuna-sweeper 1.3.0: it pins optuna<3, whose SQLite storage breaks under
SQLAlchemy 2. This sweeper asks Optuna for `n_jobs` trials at a time, launches them as one
batch through any Hydra launcher (basic, joblib, submitit), and tells Optuna each result.

- Folder `<sweep dir>/<N>` holds trial N of the study, also across resumed sweeps.
- With `storage` (SQLite by default), running the same command again adds `n_trials` more
  trials to the same study; the sampler is re-seeded with seed + trials so far, so a resumed
  study does not replay its first random trials.
- `best_params.yaml` and `optuna_trials.csv` at the sweep root cover the whole study.
- A failed job (NaN, exception) is told as FAIL and the sweep goes on; a job stopped by
  `litlab.sweeps.pruning.OptunaPruning` is told as PRUNED.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from litlab.errors import LitlabError
from litlab.sweeps import PRUNING_ENV
from litlab.sweeps.records import job_status

if TYPE_CHECKING:  # optuna is imported when a sweep starts: Hydra imports plugins on every run
    import optuna

log = logging.getLogger(__name__)

DIRECTIONS = {"max": "maximize", "maximize": "maximize", "min": "minimize", "minimize": "minimize"}


def make_study(
    study_name: str,
    storage: str | None,
    direction: str,
    sampler: Any,
    pruner: Any,
) -> optuna.Study:
    """Create the study, or load it when it already exists in `storage`."""
    import optuna

    if storage and storage.startswith("sqlite:///"):
        Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )


class OptunaSweeper(Sweeper):
    """Hydra Sweeper: `hydra/sweeper=optuna` (see conf/hydra/sweeper/optuna.yaml)."""

    def __init__(
        self,
        study_name: str,
        storage: str | None,
        direction: str,
        n_trials: int,
        n_jobs: int = 1,
        seed: int | None = None,
        sampler: Any = None,
        pruner: Any = None,
        params: dict[str, str] | None = None,
    ) -> None:
        if str(direction) not in DIRECTIONS:
            raise LitlabError(f"hydra.sweeper.direction={direction!r}. Fix: maximize or minimize")
        if pruner and not storage:
            raise LitlabError(
                "pruning needs a study storage. Fix: hydra.sweeper.storage=sqlite:///<file>"
            )
        self.study_name = study_name
        self.storage = storage
        self.direction = DIRECTIONS[str(direction)]
        self.n_trials = int(n_trials)
        self.n_jobs = max(1, int(n_jobs))
        self.seed = seed
        self.sampler_cfg = sampler
        self.pruner_cfg = pruner
        self.params = dict(params or {})
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> list[JobReturn]:
        from litlab.sweeps.results import write_best_params, write_trials_csv
        from litlab.sweeps.search_space import parse_search

        assert self.config is not None and self.hydra_context is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        space, fixed = parse_search(self.params, arguments, parser)
        if not space:
            raise LitlabError(
                "nothing to search. Fix: give hydra.sweeper.params or key=interval(a,b)"
            )
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")

        study = make_study(self.study_name, self.storage, self.direction, None, self._pruner())
        study.sampler = self._sampler(len(study.trials))
        log.info("study %r (%s): %d trials so far, %d to run", self.study_name,
                 self.direction, len(study.trials), self.n_trials)  # fmt: skip
        returns: list[JobReturn] = []
        while len(returns) < self.n_trials:
            size = min(self.n_jobs, self.n_trials - len(returns))
            trials = [study.ask(space) for _ in range(size)]
            returns += self._run_batch(study, trials, fixed)

        metric = self.config.get("optimized_metric") or "value"
        write_trials_csv(study, sweep_dir / "optuna_trials.csv")
        write_best_params(study, sweep_dir / "best_params.yaml", metric)
        return returns

    def _sampler(self, trials_so_far: int) -> optuna.samplers.BaseSampler:
        import optuna

        seed = None if self.seed is None else int(self.seed) + trials_so_far
        if not self.sampler_cfg:
            return optuna.samplers.TPESampler(seed=seed)
        return instantiate(self.sampler_cfg, seed=seed)

    def _pruner(self) -> optuna.pruners.BasePruner | None:
        return instantiate(self.pruner_cfg) if self.pruner_cfg else None

    def _run_batch(
        self, study: optuna.Study, trials: list[optuna.Trial], fixed: list[str]
    ) -> list[JobReturn]:
        """Launch the trials as one batch (folder N = trial N) and tell Optuna each result."""
        from litlab.sweeps.search_space import to_override_value

        batch = [
            [*fixed, *(f"{k}={to_override_value(v)}" for k, v in t.params.items()),
             f"++hydra.job.env_set.{PRUNING_ENV}={t.number}"]
            for t in trials
        ]  # fmt: skip
        first = trials[0].number
        try:
            self.validate_batch_is_legal(batch)
            if [t.number for t in trials] == list(range(first, first + len(trials))):
                results = list(self.launcher.launch(batch, initial_job_idx=first))
            else:  # another process shares the study: keep folder numbers = trial numbers
                results = [
                    r for t, job in zip(trials, batch, strict=True)
                    for r in self.launcher.launch([job], initial_job_idx=t.number)
                ]  # fmt: skip
        except BaseException:  # a config error or Ctrl+C: no trial stays RUNNING in the study
            from optuna.trial import TrialState

            for trial in trials:
                study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            raise
        for trial, result in zip(trials, results, strict=True):
            self._tell(study, trial, result)
        return results

    def _tell(self, study: optuna.Study, trial: optuna.Trial, result: JobReturn) -> None:
        from optuna.trial import TrialState

        value = result.return_value if result.status == JobStatus.COMPLETED else None
        status = (
            job_status(Path(result.hydra_cfg.hydra.runtime.output_dir))
            if result.hydra_cfg
            else None
        )
        if status == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
        elif isinstance(value, int | float) and math.isfinite(value):
            study.tell(trial, float(value))
        else:
            log.warning("trial %d failed (value %r); the sweep goes on", trial.number, value)
            study.tell(trial, state=TrialState.FAIL)
