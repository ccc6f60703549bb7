"""run.json: what ran (command, config, code version, packages, device, seed) and how it ended."""

import json
import sys
from pathlib import Path

import pytest
from deploy_helpers import compose_run

from litlab.run_record import RunRecord, git_state, read_status
from litlab.training import train


def test_finished_run_records_everything_needed_to_trace_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(
        compose_run(
            run, "trainer.max_epochs=1", "data.n_samples=256", "~callbacks.pictures", "seed=7"
        )
    )
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "finished"
    assert record["command"] and record["argv"] == sys.argv and "error" not in record
    assert record["seed"] == 7
    assert record["wall_time_s"] > 0 and record["started_at"] <= record["ended_at"]
    assert set(record["versions"]) >= {"python", "torch", "lightning", "litlab"}
    assert all(record["versions"][k] for k in ("python", "torch", "lightning", "litlab"))
    assert record["device"]["accelerator"] == "cpu" and record["device"]["num_devices"] == 1
    git = record["git"]
    assert (len(git["commit"]) == 40 and isinstance(git["dirty"], bool)) or git["note"]
    for key in ("metrics_file", "config_file"):
        assert (run / record[key]).is_file()  # the references point at real files
    assert json.loads((run / record["metrics_file"]).read_text())["test/acc"] >= 0
    assert Path(record["last_checkpoint"]).is_file() and Path(record["best_checkpoint"]).is_file()


def test_no_git_is_recorded_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert git_state(tmp_path)["commit"] is None  # not a repository
    assert "not a git repository" in git_state(tmp_path)["note"].lower()
    monkeypatch.setenv("PATH", str(tmp_path))  # no git binary at all
    assert git_state(tmp_path) == {"commit": None, "dirty": None, "note": "git is not installed"}
    record = RunRecord(tmp_path / "run", seed=None)
    assert read_status(tmp_path / "run") == "running"
    record.fail("ValueError: boom")
    saved = json.loads((tmp_path / "run" / "run.json").read_text())
    assert saved["status"] == "failed" and saved["error"] == "ValueError: boom"
    assert saved["git"]["note"] == "git is not installed"
