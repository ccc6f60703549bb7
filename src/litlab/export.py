"""`litlab-export` / `python export.py ckpt_path=... format=onnx|pt2|torchscript`."""

import hydra
from omegaconf import DictConfig

from litlab.cli import CONFIG_DIR, run_guarded


def _export(cfg: DictConfig) -> None:
    from litlab.exporting import export  # heavy imports only when a run starts

    export(cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="export")
def main(cfg: DictConfig) -> None:
    run_guarded(_export, cfg)


if __name__ == "__main__":
    main()
