"""Read what a sweep's job folders recorded: status, overrides, metrics."""

import json
from pathlib import Path
from typing import Any

import yaml

from litlab.run_record import RECORD_FILE

PRUNED_ERROR = "TrialPruned"  # run.json `error` of a trial stopped by the pruning callback


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def job_status(job_dir: Path) -> str:
    """finished / failed / pruned / interrupted; "failed" when the job left no end record."""
    record = read_json(job_dir / RECORD_FILE)
    status = record.get("status")
    if status == "failed" and str(record.get("error", "")).startswith(PRUNED_ERROR):
        return "pruned"
    if status in ("finished", "failed", "interrupted"):
        return status
    return "failed"


def job_overrides(job_dir: Path) -> dict[str, str]:
    """The job's task overrides (`.hydra/overrides.yaml`) as {key: value text}."""
    try:
        lines = yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text()) or []
    except (OSError, yaml.YAMLError):
        return {}
    pairs = (str(line).split("=", 1) for line in lines)
    return {key: value for key, value in (p for p in pairs if len(p) == 2)}


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The numbered job folders of a sweep, in job order."""
    jobs = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()]
    return sorted(jobs, key=lambda p: int(p.name))
