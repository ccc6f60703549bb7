"""Tracking: offline wandb (one run per sweep job, files in the run folder, config and metrics
inside), csv/tensorboard/wandb together (`logger=many`), online mode when a key is set."""

import json
import os
from pathlib import Path

import pytest

from litlab.wandb_offline import read_offline_run


def test_wandb_offline_one_run_per_job_with_every_logger(cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(HOME=str(home), WANDB_SILENT="true")  # no key, no WANDB_MODE: the config decides
    cli("train.py", "-m", "logger=many", "experiment=mlp_synthetic", "trainer.max_epochs=1",
        "data.n_samples=192", "model.net.hidden_sizes=[32]", "callbacks=none",
        "model.optimizer.lr=0.1,0.01", "tags=[sweep_test]", env=env)  # fmt: skip
    sweeps = sorted((tmp_path / "logs" / "mlp_synthetic" / "multiruns").glob("*"))
    assert len(sweeps) == 1
    sweep = sweeps[0]

    runs = []
    for job, lr in (("0", 0.1), ("1", 0.01)):
        folder = sweep / job
        assert (folder / "csv" / "metrics.csv").is_file()
        assert list((folder / "tensorboard").glob("events.out.tfevents.*"))
        offline = list((folder / "wandb").glob("offline-run-*"))
        assert len(offline) == 1, offline  # one wandb run per job, inside the job folder
        run = read_offline_run(offline[0])
        metrics = json.loads((folder / "metrics.json").read_text())
        assert run["group"] == sweep.name
        assert run["name"].startswith(f"{job}-") and f"model.optimizer.lr={lr}" in run["name"]
        assert run["tags"] == ["sweep_test"]
        assert run["config"]["model"]["optimizer"]["lr"] == lr  # the full resolved config
        assert run["config"]["paths"]["output_dir"] == str(folder)
        assert run["summary"]["val/acc_best"] == pytest.approx(metrics["val/acc_best"])
        runs.append(run["id"])
    assert len(set(runs)) == 2  # the second job did not log into the first job's run
    leaked = [p for p in home.rglob("*") if "wandb" in p.name.lower()]
    assert not leaked, f"wandb wrote outside the run folder: {leaked}"


def test_wandb_online_only_with_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from litlab.tracking import wandb_logger

    for var in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR",
                "WANDB_CONFIG_DIR"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)  # restored after the test

    offline = wandb_logger(save_dir=str(tmp_path / "a"), project="litlab", log_model=True)
    assert offline._offline is True and offline._log_model is False  # Lightning refuses both
    assert os.environ["WANDB_MODE"] == "offline"
    for var in ("WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
        assert Path(os.environ[var]).is_relative_to(tmp_path / "a" / "wandb")

    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    online = wandb_logger(save_dir=str(tmp_path / "b"), project="litlab", log_model=True)
    assert online._offline is False and online._log_model is True
    assert os.environ["WANDB_DIR"] == str((tmp_path / "b").resolve())
    forced = wandb_logger(save_dir=str(tmp_path / "c"), project="litlab", offline=True)
    assert forced._offline is True and forced._log_model is False
