"""`run.json` in every run folder: what ran, and how it ended.

Contract other code relies on (sweep summaries, `ckpt_path=last`): `run.json` holds
`status` ("running" while alive, then "finished", "failed" or "interrupted"), `command`,
`wall_time_s` and `error` (a one-line message when failed).
"""

import sys
import time
from pathlib import Path
from typing import Any

from litlab.utils.run_files import write_json

RECORD_FILE = "run.json"


class RunRecord:
    """Writes `run.json` when a run starts and rewrites it when the run ends.

    Only the process that owns the run folder (rank 0) should create one.
    """

    def __init__(self, output_dir: str | Path, **fields: Any) -> None:
        self.path = Path(output_dir) / RECORD_FILE
        self.started = time.time()
        self.fields: dict[str, Any] = {"command": " ".join(sys.argv), **fields}
        self._write("running")

    def _write(self, status: str, **extra: Any) -> None:
        wall = round(time.time() - self.started, 3)
        write_json(self.path, {**self.fields, "status": status, "wall_time_s": wall, **extra})

    def finish(self, **extra: Any) -> None:
        self._write("finished", **extra)

    def fail(self, error: str, interrupted: bool = False) -> None:
        self._write("interrupted" if interrupted else "failed", error=error)


def read_status(run_dir: str | Path) -> str | None:
    """The recorded status of a run folder, or None when it has no record."""
    import json

    path = Path(run_dir) / RECORD_FILE
    try:
        return json.loads(path.read_text()).get("status")
    except (OSError, ValueError):
        return None
