"""Sweeps: an Optuna sweeper on the ask/tell API, trial pruning, and sweep summaries.

Hydra only loads sweeper plugins from the `hydra_plugins` namespace; the thin class there
(`hydra_plugins.litlab_sweepers`) subclasses `litlab.sweeps.optuna_sweeper.OptunaSweeper`.
"""

PRUNING_ENV = "LITLAB_OPTUNA_TRIAL"  # set for each trial's job: "<trial number>"
