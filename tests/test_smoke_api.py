"""Python-API smoke: compose the default config and train it in-process."""

import json
from pathlib import Path

from litlab.training import train


def test_default_config_trains_in_process(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg("trainer.max_epochs=1", "logger=csv")
    metrics, objects = train(cfg)
    assert metrics["test/acc"] > 0.2  # 10 classes: chance is 0.1
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["test/acc"] == metrics["test/acc"]
    assert objects["trainer"].checkpoint_callback.best_model_path
