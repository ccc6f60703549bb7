"""The pipeline behind `python eval.py ckpt_path=...`: test a checkpoint, record metrics."""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from omegaconf import DictConfig

from litlab.checkpoints import load_task
from litlab.errors import LitlabError
from litlab.instantiate import build_datamodule, build_loggers, build_trainer, route_lightning_logs
from litlab.run_record import describe_device, recorded_run
from litlab.utils.run_files import scalars, write_json, write_resolved_config

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> tuple[dict[str, float], dict[str, Any]]:
    """Test the checkpoint at `cfg.ckpt_path` on `cfg.data`, or on the data it was trained on."""
    route_lightning_logs()
    output_dir = Path(cfg.paths.output_dir)
    with recorded_run(output_dir, seed=cfg.get("seed"), ckpt_path=cfg.get("ckpt_path")) as record:
        if cfg.get("seed") is not None:
            L.seed_everything(cfg.seed, workers=True)
        model, checkpoint = load_task(cfg.ckpt_path)
        data_cfg = cfg.get("data") or checkpoint["litlab"].get("data")
        if not data_cfg:
            raise LitlabError("the checkpoint records no data config. Fix: pass data=<name>")
        datamodule = build_datamodule(data_cfg)
        loggers = build_loggers(cfg)
        trainer = build_trainer(cfg, callbacks=[], loggers=loggers)
        if record:
            record.update(device=describe_device(trainer))
        if trainer.is_global_zero:
            write_resolved_config(cfg, output_dir)
        trainer.test(model, datamodule=datamodule)
        metrics = scalars(trainer.callback_metrics)
        if trainer.is_global_zero:
            write_json(output_dir / "metrics.json", metrics)
    if record:
        record.finish(metrics_file="metrics.json")
    log.info("metrics: %s", {k: round(v, 4) for k, v in metrics.items()})
    return metrics, {"trainer": trainer, "model": model, "datamodule": datamodule}
