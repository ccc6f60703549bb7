"""The real command line: `python train.py` / `python eval.py` in subprocesses."""

import json
from pathlib import Path

import pytest
import torch
from conftest import assert_files, run_dirs


def test_no_arguments_runs_the_embedded_default(cli, tmp_path: Path) -> None:
    result = cli("train.py")
    (run,) = run_dirs(tmp_path / "logs", "train")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test/acc"] > 0.5, metrics  # synthetic 10-class data: chance is 0.1
    assert "metrics:" in result.stdout + result.stderr


@pytest.mark.slow
def test_train_then_eval_reproduces_the_test_metrics(cli, tmp_path: Path, tiny_mnist: Path) -> None:
    cli(
        "train.py",
        "experiment=cnn_mnist",
        f"data.data_dir={tiny_mnist}",
        "trainer.max_epochs=2",
        "model.net.channels=[8,16]",
        "model.net.hidden=32",
    )
    (run,) = run_dirs(tmp_path / "logs", "cnn_mnist")

    # The run folder holds everything the README promises.
    assert_files(
        run,
        [
            ".hydra/config.yaml",
            ".hydra/overrides.yaml",
            "config.yaml",
            "checkpoints/last.ckpt",
            "csv/metrics.csv",
            "cnn_mnist.log",
            "metrics.json",
            "run.json",
            "confusion_matrix.csv",
        ],
    )
    best = [p for p in (run / "checkpoints").glob("epoch_*.ckpt")]
    assert len(best) == 1
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["epoch"] == 1  # the final epoch, whether or not it was the best one
    trained = json.loads((run / "metrics.json").read_text())
    for key in (
        "train/loss",
        "train/acc",
        "val/acc",
        "val/acc_best",
        "val/f1",
        "test/acc",
        "test/precision",
        "test/recall",
        "test/f1",
        "test/loss",
    ):
        assert key in trained, key
    log_text = (run / "cnn_mnist.log").read_text()
    assert "Restoring states from the checkpoint path" in log_text  # Lightning's own output
    assert json.loads((run / "run.json").read_text())["status"] == "finished"

    cli("eval.py", f"ckpt_path={best[0]}")
    (eval_run,) = run_dirs(tmp_path / "logs", "eval")
    evaluated = json.loads((eval_run / "metrics.json").read_text())
    for key in ("test/acc", "test/loss", "test/f1"):
        assert evaluated[key] == pytest.approx(trained[key], abs=1e-6), key


def test_unknown_experiment_fails_with_the_available_options(cli) -> None:
    result = cli("train.py", "experiment=nope", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Could not find 'experiment/nope'" in out
    assert "cnn_mnist" in out  # lists what exists
    assert "Traceback" not in out


def test_missing_mnist_fails_with_one_clear_line(cli, tmp_path: Path) -> None:
    result = cli(
        "train.py",
        "experiment=mlp_mnist",
        f"data.data_dir={tmp_path / 'empty'}",
        "data.download=false",
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in out
    (line,) = [ln for ln in out.splitlines() if "error: MNIST not found" in ln]
    assert "train-images-idx3-ubyte" in line and "data.data_dir=" in line


def test_help_lists_the_config_groups(cli) -> None:
    out = cli("train.py", "--help").stdout
    for group in ("experiment:", "model:", "data:", "trainer:", "logger:", "debug:"):
        assert group in out
