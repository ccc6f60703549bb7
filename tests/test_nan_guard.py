"""NaN/inf loss: training stops at that step with one clear line; the checkpoints stay good."""

import json
import math
from pathlib import Path

import pytest
import torch
from deploy_helpers import compose_run

from litlab.checkpoints import load_task
from litlab.errors import LitlabError
from litlab.training import train

# SGD with lr=3 on standardised linear regression diverges: inf loss in epoch 3, not epoch 0.
DIVERGING = [
    "experiment=linreg_synthetic", "data.n_samples=512", "model.optimizer.lr=3",
    "trainer.max_epochs=20", "~callbacks.early_stopping", "~callbacks.pictures",
    "~callbacks.rich_progress_bar", "~logger",
]  # fmt: skip


def test_non_finite_loss_stops_training_naming_the_step(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with pytest.raises(LitlabError) as caught:
        train(compose_run(run, *DIVERGING))
    message = str(caught.value)
    print(f"\n{message}")
    assert "training loss is inf at step 24 (epoch 3, batch 3)" in message  # seeded: exact
    assert f"last good checkpoint: {run / 'checkpoints' / 'last.ckpt'}" in message
    assert "Fix: lower model.optimizer.lr" in message

    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "failed" and "at step 24" in record["error"]
    assert not (run / "metrics.json").exists()

    # the last checkpoint predates the bad step: finite, loads, and predicts finite values
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] < 24
    assert all(torch.isfinite(t).all() for t in last["state_dict"].values())
    model, _ = load_task(run / "checkpoints" / "last.ckpt")
    prediction = model(torch.randn(4, 8))
    assert torch.isfinite(prediction).all()


def test_guard_is_on_by_default_and_lets_finite_runs_finish(tmp_path: Path) -> None:
    cfg = compose_run(tmp_path / "run", *DIVERGING[:2], "trainer.max_epochs=2", "~logger")
    assert cfg.callbacks.nan_guard._target_ == "litlab.callbacks.nan_guard.FiniteLossGuard"
    metrics, _ = train(cfg)
    assert math.isfinite(metrics["train/loss"])
