"""Exact resume: 2 epochs straight == 1 epoch + resume == stopped mid-epoch + resume."""

import json
import os
import signal
import time
from pathlib import Path

import lightning as L
import pytest
import torch
from deploy_helpers import compose_run

import litlab.training as training
from litlab.errors import LitlabError
from litlab.resume import newest_last_checkpoint, resolve_ckpt_path

# Dropout (0.3) and a step scheduler: RNG, optimiser and scheduler state all matter.
EXACT = [
    "data.n_samples=256", "data.batch_size=32", "model.net.hidden_sizes=[32]",
    "model.net.dropout=0.3", "model/scheduler=step", "trainer.deterministic=true",
    "trainer.accelerator=cpu", "~logger", "~callbacks.rich_progress_bar", "~callbacks.pictures",
    "~callbacks.early_stopping", "test=false",
]  # fmt: skip


def fit(run_dir: Path, epochs: int, *overrides: str) -> dict:
    training.train(compose_run(run_dir, f"trainer.max_epochs={epochs}", *EXACT, *overrides))
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)


def max_abs_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a)


class SignalAtStep(L.Callback):
    """Sends this process SIGUSR1 before the given step, as a scheduler would."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer: L.Trainer, *args) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGUSR1)


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return fit(tmp_path_factory.mktemp("straight") / "run", 2)


def test_one_epoch_plus_resume_equals_two_epochs(straight, tmp_path: Path) -> None:
    first = tmp_path / "first"
    fit(first, 1)
    resumed = fit(tmp_path / "resumed", 2, f"ckpt_path={first / 'checkpoints' / 'last.ckpt'}")
    assert resumed["global_step"] == straight["global_step"] == 14  # 7 batches x 2 epochs
    diff = max_abs_diff(straight["state_dict"], resumed["state_dict"])
    print(f"\nend-of-epoch resume: max |w_straight - w_resumed| = {diff}")
    assert diff == 0.0
    for a, b in zip(straight["optimizer_states"][0]["state"].values(),
                    resumed["optimizer_states"][0]["state"].values(), strict=True):  # fmt: skip
        assert torch.equal(a["exp_avg"], b["exp_avg"]) and torch.equal(
            a["exp_avg_sq"], b["exp_avg_sq"]
        )
    assert straight["lr_schedulers"] == resumed["lr_schedulers"]


def test_stopped_mid_epoch_then_resumed_equals_straight(
    straight, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = training.build_trainer
    monkeypatch.setattr(
        training, "build_trainer", lambda cfg, cbs, lg: build(cfg, [*cbs, SignalAtStep(10)], lg)
    )
    with pytest.raises(SystemExit) as stopped:
        fit(tmp_path / "first", 2)
    assert stopped.value.code == 128 + signal.SIGUSR1
    monkeypatch.setattr(training, "build_trainer", build)
    saved = torch.load(tmp_path / "first" / "checkpoints" / "last.ckpt", weights_only=True)
    assert saved["global_step"] == 11  # epoch 1, batch 3 of 7: mid-epoch
    assert json.loads((tmp_path / "first" / "run.json").read_text())["status"] == "interrupted"
    resumed = fit(tmp_path / "resumed", 2, f"ckpt_path={tmp_path / 'first/checkpoints/last.ckpt'}")
    assert resumed["global_step"] == straight["global_step"]
    diff = max_abs_diff(straight["state_dict"], resumed["state_dict"])
    print(f"\nmid-epoch resume: max |w_straight - w_resumed| = {diff}")
    assert diff == 0.0


def test_ckpt_path_last_picks_the_newest_run_of_the_same_experiment(tmp_path: Path) -> None:
    runs = tmp_path / "logs" / "exp" / "runs"
    for age, name in ((30, "a"), (10, "b"), (20, "c")):
        ckpt = runs / name / "checkpoints" / "last.ckpt"
        ckpt.parent.mkdir(parents=True)
        ckpt.write_bytes(b"x")
        os.utime(ckpt, (time.time() - age, time.time() - age))
    (runs / "d").mkdir()  # a run that never saved: skipped
    assert newest_last_checkpoint(tmp_path / "logs", "exp") == runs / "b/checkpoints/last.ckpt"
    # the current (new) run folder is never its own resume source
    assert (
        newest_last_checkpoint(tmp_path / "logs", "exp", exclude=runs / "b").parent.parent.name
        == "c"
    )
    cfg = compose_run(
        runs / "new", "task_name=exp", "ckpt_path=last", f"paths.log_dir={tmp_path / 'logs'}"
    )
    assert resolve_ckpt_path(cfg) == str(runs / "b/checkpoints/last.ckpt")
    with pytest.raises(LitlabError, match="ckpt_path=last: no run of task_name=other"):
        newest_last_checkpoint(tmp_path / "logs", "other")
