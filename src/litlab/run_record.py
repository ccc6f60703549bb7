"""`run.json` in every run folder: what ran, on what code and machine, and how it ended.

Contract other code relies on (sweep summaries, `ckpt_path=last`): `run.json` holds
`status` ("running" while alive, then "finished", "failed" or "interrupted"), `command`,
`wall_time_s` and `error` (a one-line message when failed or interrupted).

Beside them: `argv`, `cwd`, `git` (commit + dirty flag, or why there is none), `versions`
(python, torch, lightning, litlab, ...), `host`, `seed`, `device` (once the trainer exists),
`started_at`/`ended_at`, and on success `metrics_file` / `config_file` / checkpoints.
Every probe is best effort: a missing git or package is recorded, never raised.
"""

import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from litlab.utils.run_files import write_json

RECORD_FILE = "run.json"
PACKAGES = ("torch", "lightning", "litlab", "hydra-core", "omegaconf", "torchmetrics", "numpy")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def git_state(folder: str | Path | None = None) -> dict[str, Any]:
    """{"commit", "dirty"} of the repository holding `folder` (default: the project root);
    {"commit": None, "dirty": None, "note": why} when there is no git or no repository."""
    folder = Path(folder or os.environ.get("LITLAB_ROOT") or Path(__file__).resolve().parents[2])

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except FileNotFoundError:
        return {"commit": None, "dirty": None, "note": "git is not installed"}
    except subprocess.CalledProcessError as err:
        reason = (err.stderr or "").strip().splitlines()
        return {"commit": None, "dirty": None, "note": reason[0] if reason else "not a git repo"}
    except (subprocess.TimeoutExpired, OSError) as err:
        return {"commit": None, "dirty": None, "note": f"git failed: {type(err).__name__}"}
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict[str, str | None]:
    """Installed versions, read from metadata (no imports: cheap and safe)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def describe_device(trainer: Any) -> dict[str, Any]:
    """Accelerator, device count and name of a Lightning trainer (best effort)."""
    info: dict[str, Any] = {
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        import torch

        info["accelerator"] = type(trainer.accelerator).__name__.replace("Accelerator", "").lower()
        info["num_devices"] = int(trainer.num_devices)
        info["precision"] = str(trainer.precision)
        if info["accelerator"] == "cuda" and torch.cuda.is_available():
            info["name"] = torch.cuda.get_device_name(trainer.strategy.root_device)
    except Exception as err:  # a record must never stop a run
        info["note"] = f"device probe failed: {type(err).__name__}"
    return info


class RunRecord:
    """Writes `run.json` when a run starts and rewrites it when the run ends.

    Only the process that owns the run folder (rank 0) should create one.
    """

    def __init__(self, output_dir: str | Path, **fields: Any) -> None:
        self.path = Path(output_dir) / RECORD_FILE
        self.started = time.time()
        self.fields: dict[str, Any] = {
            "command": shlex.join(sys.argv),
            "argv": list(sys.argv),
            "cwd": os.getcwd(),
            "python_executable": sys.executable,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": _now(),
            "git": git_state(),
            "versions": package_versions(),
            "config_file": "config.yaml",
            **fields,
        }
        self._write("running")

    def update(self, **fields: Any) -> None:
        """Add fields known later (the device once the trainer exists); still running."""
        self.fields.update(fields)
        self._write("running")

    def _write(self, status: str, **extra: Any) -> None:
        wall = round(time.time() - self.started, 3)
        ended = {} if status == "running" else {"ended_at": _now()}
        write_json(
            self.path, {**self.fields, "status": status, "wall_time_s": wall, **ended, **extra}
        )

    def finish(self, **extra: Any) -> None:
        self._write("finished", **extra)

    def fail(self, error: str, interrupted: bool = False, **extra: Any) -> None:
        self._write("interrupted" if interrupted else "failed", error=error, **extra)


def failure_message(err: BaseException) -> str:
    """The user-facing line for a user error, else "<Type>: <first line>"."""
    from litlab.cli import user_error

    text = str(err).splitlines()[0] if str(err) else ""
    return user_error(err) or f"{type(err).__name__}: {text}"


@contextmanager
def recorded_run(output_dir: str | Path, **fields: Any) -> Iterator[RunRecord | None]:
    """`run.json` for the block: "running" now, "failed"/"interrupted" if it raises.
    The caller calls `finish()`. Yields None on non-zero ranks (from the environment, so
    DDP children started by Lightning never write the record)."""
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    record = RunRecord(output_dir, **fields) if rank_zero_only.rank == 0 else None
    try:
        yield record
    except BaseException as err:
        if record:
            # Ctrl+C, SIGTERM/SIGUSR1 (Preempted) and Lightning's exits are interruptions
            interrupted = isinstance(err, KeyboardInterrupt | SystemExit)
            record.fail(failure_message(err), interrupted)
        raise


def read_record(run_dir: str | Path) -> dict[str, Any]:
    """A run folder's `run.json` as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads((Path(run_dir) / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_status(run_dir: str | Path) -> str | None:
    """The recorded status of a run folder, or None when it has no record."""
    return read_record(run_dir).get("status")
