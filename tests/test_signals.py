"""Preemption: SIGTERM / SIGUSR1 to a real `python train.py` saves a checkpoint and exits
cleanly; re-running with `ckpt_path=last` continues from that checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import ROOT, run_cli

# Long enough that the signal lands mid-training; small enough to start quickly.
LONG_RUN = [
    "trainer.max_epochs=500", "data.n_samples=1024", "model.net.hidden_sizes=[32]",
    "~callbacks.early_stopping", "~callbacks.pictures", "~callbacks.rich_progress_bar", "test=false",
]  # fmt: skip


def start_and_signal(log_dir: Path, signum: int) -> tuple[subprocess.CompletedProcess, float]:
    """Start training, wait for its first checkpoint, send `signum`; (result, signal-to-exit s)."""
    cmd = [sys.executable, str(ROOT / "train.py"), *LONG_RUN, f"paths.log_dir={log_dir}"]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 120
    while not list(log_dir.glob("train/runs/*/checkpoints/last.ckpt")):
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "no checkpoint within 120 s"
        time.sleep(0.05)
    time.sleep(0.3)  # now well inside training
    sent = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), elapsed


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1], ids=["SIGTERM", "SIGUSR1"])
def test_signal_saves_checkpoint_exits_cleanly_and_resume_continues(
    tmp_path: Path, signum: int
) -> None:
    log_dir = tmp_path / "logs"
    result, elapsed = start_and_signal(log_dir, signum)
    print(f"\n{signal.Signals(signum).name}: signal-to-exit {elapsed:.2f} s")
    output = result.stdout + result.stderr
    assert result.returncode == 128 + signum, output[-3000:]
    assert "Traceback" not in output
    assert f"received {signal.Signals(signum).name}: saved" in output
    assert elapsed < 30

    (run,) = sorted((log_dir / "train" / "runs").iterdir())
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "interrupted"
    assert signal.Signals(signum).name in record["error"]
    assert not (run / "metrics.json").exists()  # no finished-run leftovers
    saved = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert saved["global_step"] > 0

    if signum != signal.SIGTERM:
        return  # resuming is the same path for both signals; once is enough
    # max_epochs one past the interrupted epoch: finishes that epoch and one more
    epochs = saved["epoch"] + 2
    resumed = run_cli(
        "train.py", *LONG_RUN, f"trainer.max_epochs={epochs}", "ckpt_path=last", log_dir=log_dir
    )
    assert "Restored all states from the checkpoint" in resumed.stdout + resumed.stderr
    new_run = max((log_dir / "train" / "runs").iterdir())
    assert new_run != run
    new_record = json.loads((new_run / "run.json").read_text())
    assert new_record["status"] == "finished"
    assert new_record["resumed_from"] == str(run / "checkpoints" / "last.ckpt")
    final = torch.load(new_run / "checkpoints" / "last.ckpt", weights_only=True)
    steps_per_epoch = 13  # 820 train samples / 64 per batch, rounded up
    assert final["global_step"] == epochs * steps_per_epoch > saved["global_step"]
