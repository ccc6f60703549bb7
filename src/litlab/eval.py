"""`litlab-eval` / `python eval.py ckpt_path=...`: test a trained checkpoint."""

import hydra
from omegaconf import DictConfig

from litlab.cli import CONFIG_DIR, run_guarded


def _evaluate(cfg: DictConfig) -> None:
    from litlab.evaluation import evaluate  # heavy imports only when a run starts

    evaluate(cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="eval")
def main(cfg: DictConfig) -> None:
    run_guarded(_evaluate, cfg)


if __name__ == "__main__":
    main()
