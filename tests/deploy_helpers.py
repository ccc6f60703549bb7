"""Tiny trained checkpoints for the fine-tune / export / predict / serve / picture tests.

Trains in-process through the real pipeline (`litlab.training.train`), a few seconds each;
test modules call these from module-scoped fixtures and reuse the result.
"""

from pathlib import Path
from typing import Any

from conftest import compose_run as compose_config
from omegaconf import DictConfig

TINY_CNN = ["model.net.channels=[4,8]", "model.net.hidden=16"]


def compose_run(run_dir: Path, *overrides: str) -> DictConfig:
    """conf/train.yaml with these overrides and the CSV logger, writing into `run_dir`."""
    return compose_config(run_dir, "logger=csv", *overrides)


def train_run(run_dir: Path, *overrides: str) -> tuple[dict[str, float], dict[str, Any]]:
    from litlab.training import train

    return train(compose_run(run_dir, *overrides))


def tiny_checkpoint(run_dir: Path, *overrides: str) -> Path:
    """Train briefly and return `last.ckpt`."""
    train_run(run_dir, "trainer.max_epochs=1", "callbacks.rich_progress_bar=null", *overrides)
    return run_dir / "checkpoints" / "last.ckpt"


def classifier_checkpoint(run_dir: Path) -> Path:
    """A small CNN on synthetic 1x28x28 images (10 classes)."""
    return tiny_checkpoint(run_dir, "experiment=cnn_synthetic", "data.n_samples=256", *TINY_CNN)


def mnist_checkpoint(run_dir: Path, data_dir: Path) -> Path:
    """An MLP trained on the tiny IDX MNIST (uint8 pixels, MNIST normalisation)."""
    return tiny_checkpoint(
        run_dir, "experiment=mlp_mnist", f"data.data_dir={data_dir}", "data.download=false",
        "trainer.max_epochs=3", "model.net.hidden_sizes=[32]",
    )  # fmt: skip


def regression_checkpoint(run_dir: Path) -> Path:
    """Linear regression on synthetic house prices (8 features)."""
    return tiny_checkpoint(run_dir, "experiment=linreg_synthetic", "data.n_samples=256")
