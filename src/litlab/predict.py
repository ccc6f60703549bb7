"""`litlab-predict` / `python predict.py ckpt_path=... input=<image folder | .npy | .pt>`."""

import hydra
from omegaconf import DictConfig

from litlab.cli import CONFIG_DIR, run_guarded


def _predict(cfg: DictConfig) -> None:
    from litlab.prediction import predict  # heavy imports only when a run starts

    predict(cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="predict")
def main(cfg: DictConfig) -> None:
    run_guarded(_predict, cfg)


if __name__ == "__main__":
    main()
