"""litlab's Hydra sweeper plugins. Hydra only instantiates sweepers and launchers whose class
lives under the `hydra_plugins` namespace, so the implementation in `litlab.sweeps` is
exposed here; `hydra/sweeper=optuna` (conf/hydra/sweeper/optuna.yaml) targets it.
"""

from litlab.sweeps.optuna_sweeper import OptunaSweeper


class LitlabOptunaSweeper(OptunaSweeper):
    """Optuna ask/tell sweeper; see `litlab.sweeps.optuna_sweeper`."""


__all__ = ["LitlabOptunaSweeper"]
