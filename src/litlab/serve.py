"""`litlab-serve ckpt_path=...` (or `make serve`): an HTTP model server on 127.0.0.1."""

import hydra
from omegaconf import DictConfig

from litlab.cli import CONFIG_DIR, run_guarded


def _serve(cfg: DictConfig) -> None:
    from litlab.serving import serve  # heavy imports only when the server starts

    serve(cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="serve")
def main(cfg: DictConfig) -> None:
    run_guarded(_serve, cfg)


if __name__ == "__main__":
    main()
