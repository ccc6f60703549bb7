"""The training pipeline behind `python train.py`: fit, test the best checkpoint, record."""

import logging
from pathlib import Path
from typing import Any

import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from litlab.callbacks.preemption import Preemption, last_checkpoint_path, preempted_exit
from litlab.callbacks.resume_state import ResumeState
from litlab.callbacks.run_metadata import RunMetadata
from litlab.errors import LitlabError
from litlab.finetune import setup_finetuning
from litlab.instantiate import (
    build_callbacks,
    build_datamodule,
    build_loggers,
    build_model,
    build_trainer,
    route_lightning_logs,
)
from litlab.resume import check_resumable, resolve_ckpt_path
from litlab.run_record import describe_device, recorded_run
from litlab.utils.containers import to_plain
from litlab.utils.run_files import scalars, write_json, write_resolved_config

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> tuple[dict[str, float], dict[str, Any]]:
    """Fit `cfg.model` on `cfg.data`, then test the best checkpoint.

    Returns (metrics, objects): the final train/val/test metrics as floats, and the
    trainer, model and datamodule for callers that want to look further.
    """
    route_lightning_logs()
    output_dir = Path(cfg.paths.output_dir)
    with recorded_run(output_dir, seed=cfg.get("seed")) as record:
        if cfg.get("seed") is not None:
            L.seed_everything(cfg.seed, workers=True)
        datamodule = build_datamodule(cfg.get("data"))
        model = build_model(cfg)
        resume_from = resolve_ckpt_path(cfg) if cfg.get("train") else None
        if resume_from:
            check_resumable(resume_from, model)  # one clear error before Lightning loads it
        loggers = build_loggers(cfg)
        callbacks = build_callbacks(cfg, has_logger=bool(loggers))
        callbacks.append(RunMetadata(data=to_plain(cfg.data)))
        callbacks += [ResumeState(), Preemption()]  # exact resume; SIGTERM/SIGUSR1 -> save, exit
        callbacks += setup_finetuning(cfg, model)  # pretrained=...: load weights, freeze
        trainer = build_trainer(cfg, callbacks, loggers)
        if record:
            record.update(device=describe_device(trainer), resumed_from=resume_from)
        metrics = _fit_and_test(cfg, trainer, model, datamodule, loggers, resume_from)
    if record:
        record.finish(
            metrics_file="metrics.json",
            best_checkpoint=getattr(trainer.checkpoint_callback, "best_model_path", None) or None,
            last_checkpoint=str(last)
            if (last := last_checkpoint_path(trainer)).is_file()
            else None,
        )
    log.info("metrics: %s", {k: round(v, 4) for k, v in metrics.items()})
    return metrics, {"trainer": trainer, "model": model, "datamodule": datamodule}


def _fit_and_test(
    cfg: DictConfig,
    trainer: L.Trainer,
    model: L.LightningModule,
    datamodule: L.LightningDataModule,
    loggers: list[Any],
    resume_from: str | None = None,
) -> dict[str, float]:
    output_dir = Path(cfg.paths.output_dir)
    if trainer.is_global_zero:
        write_resolved_config(cfg, output_dir)
    for logger in loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    metrics: dict[str, float] = {}
    if cfg.get("train"):
        try:
            trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from, weights_only=True)
        except SystemExit as err:
            raise preempted_exit(trainer, err) from None
        metrics.update(scalars(trainer.callback_metrics))

    if cfg.get("test"):
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        if not best:
            log.warning("no best checkpoint was saved; testing the current weights")
        keep_csv_headers(loggers)
        trainer.test(model, datamodule=datamodule, ckpt_path=best or None, weights_only=True)
        metrics.update(scalars(trainer.callback_metrics))

    if trainer.is_global_zero:
        write_json(output_dir / "metrics.json", metrics)
        confusion = getattr(model, "test_confusion_matrix", None)
        if isinstance(confusion, torch.Tensor):
            write_confusion_csv(confusion, output_dir / "confusion_matrix.csv")
    return metrics


def keep_csv_headers(loggers: list[Any]) -> None:
    """Tell each CSVLogger the columns its metrics.csv already has.

    Under ddp_spawn, fit ran in child processes, so this process's writer never saw the
    fit's columns; without this, adding the test columns rewrites the file and fails.
    """
    from lightning.pytorch.loggers import CSVLogger

    for logger in loggers:
        if not isinstance(logger, CSVLogger) or not Path(logger.log_dir).is_dir():
            continue
        writer = logger.experiment  # a dummy on ranks > 0
        path = getattr(writer, "metrics_file_path", None)
        if isinstance(path, str) and Path(path).is_file():
            with open(path) as file:
                header = file.readline().strip().split(",")
            writer.metrics_keys = sorted(set(writer.metrics_keys) | set(filter(None, header)))


def write_confusion_csv(matrix: torch.Tensor, path: Path) -> None:
    """Rows: true class; columns: predicted class."""
    header = "true\\pred," + ",".join(str(i) for i in range(matrix.shape[1]))
    rows = [f"{i}," + ",".join(str(int(v)) for v in row) for i, row in enumerate(matrix)]
    path.write_text("\n".join([header, *rows]) + "\n")


def train_and_score(cfg: DictConfig) -> float | None:
    """Train, test, and return `optimized_metric` (what sweepers optimise)."""
    metrics, _ = train(cfg)
    return optimized_value(cfg, metrics)


def optimized_value(cfg: DictConfig, metrics: dict[str, float]) -> float | None:
    """The value sweepers optimise (`optimized_metric`), or None when none is configured."""
    name = cfg.get("optimized_metric")
    if not name:
        return None
    if name not in metrics:
        raise LitlabError(
            f"optimized_metric={name!r} was not logged; logged: {', '.join(sorted(metrics))}"
        )
    return metrics[name]
