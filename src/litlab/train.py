"""`litlab-train` / `python train.py`: the Hydra entry point for training and sweeps."""

import hydra
from omegaconf import DictConfig

from litlab.cli import CONFIG_DIR, run_guarded


def _train_and_score(cfg: DictConfig) -> float | None:
    from litlab.training import optimized_value, train  # heavy imports only when a run starts

    metrics, _ = train(cfg)
    return optimized_value(cfg, metrics)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train, test and return `optimized_metric` for sweepers."""
    return run_guarded(_train_and_score, cfg)


if __name__ == "__main__":
    main()
