"""Files an Optuna sweep leaves at its root: every trial (CSV) and the best parameters."""

import csv
import math
from pathlib import Path

import optuna
import yaml
from optuna.trial import TrialState

from litlab.sweeps.search_space import to_override_value


def write_trials_csv(study: optuna.Study, path: Path) -> None:
    """One row per trial of the whole study (earlier sweeps of it included)."""
    trials = study.get_trials(deepcopy=False)
    keys = sorted({k for t in trials for k in t.params})
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trial", "state", "value", *keys, "duration_s"])
        for t in trials:
            duration = t.duration.total_seconds() if t.duration else ""
            value = "" if t.value is None or not math.isfinite(t.value) else t.value
            writer.writerow([t.number, t.state.name.lower(), value,
                             *(t.params.get(k, "") for k in keys), duration])  # fmt: skip


def write_best_params(study: optuna.Study, path: Path, metric: str) -> dict | None:
    """`best_params.yaml`: the best trial's values, and the same as command-line overrides.

    Use them with `python train.py <experiment> $(python -m litlab.sweeps.best <file>)`.
    """
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    payload = {
        "study": study.study_name,
        "direction": study.direction.name.lower(),
        "metric": metric,
        "best_value": float(best.value),
        "best_trial": best.number,
        "n_trials": len(study.trials),
        "params": dict(best.params),
        "overrides": [f"{k}={to_override_value(v)}" for k, v in best.params.items()],
    }
    path.write_text(yaml.safe_dump(payload, sort_keys=False))
    return payload
