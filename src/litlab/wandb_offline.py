"""Read an offline W&B run without uploading it: `python -m litlab.wandb_offline <run folder>`.

wandb >= 0.19 writes offline runs only into `offline-run-*/run-*.wandb` (a LevelDB-style log of
protobuf records). This reads the run's identity, config and summary back from it, so that
tests and people can check what `wandb sync` would upload.
"""

import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BLOCK = 32768  # LevelDB log block size
HEADER = struct.Struct("<4sHB")  # ":W&B", magic, version
RECORD = struct.Struct("<IHB")  # crc32, length, type (1 full, 2 first, 3 middle, 4 last)


def _chunks(data: bytes) -> Iterator[bytes]:
    if data[:4] != b":W&B":
        raise ValueError("not a .wandb file")
    pos, pending = HEADER.size, b""
    while pos + RECORD.size <= len(data):
        if BLOCK - pos % BLOCK < RECORD.size:  # block trailer padding
            pos += BLOCK - pos % BLOCK
            continue
        _, length, kind = RECORD.unpack_from(data, pos)
        payload = data[pos + RECORD.size : pos + RECORD.size + length]
        pos += RECORD.size + length
        if kind == 1:
            yield payload
        elif kind == 2:
            pending = payload
        elif kind == 3:
            pending += payload
        elif kind == 4:
            yield pending + payload
        elif kind == 0 and length == 0:  # zero padding up to the block end
            pos += BLOCK - pos % BLOCK if pos % BLOCK else 0


def _set(target: dict[str, Any], item: Any) -> None:
    keys = list(item.nested_key) or [item.key]
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = json.loads(item.value_json)


def read_offline_run(path: str | Path) -> dict[str, Any]:
    """{"id", "name", "group", "tags", "config", "summary"} of a `.wandb` file or a folder
    holding one (searched recursively: a job folder works)."""
    from wandb.proto import wandb_internal_pb2 as pb

    path = Path(path)
    file = path if path.is_file() else next(iter(sorted(path.rglob("run-*.wandb"))), None)
    if file is None:
        raise FileNotFoundError(f"no offline wandb run (run-*.wandb) under {path}")
    run: dict[str, Any] = {"config": {}, "summary": {}}
    for chunk in _chunks(file.read_bytes()):
        record = pb.Record()
        record.ParseFromString(chunk)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            r = record.run
            run.update(id=r.run_id, name=r.display_name, group=r.run_group, tags=list(r.tags))
        elif kind == "config":
            for item in record.config.update:
                _set(run["config"], item)
        elif kind == "summary":
            for item in record.summary.update:
                _set(run["summary"], item)
        elif kind == "history":  # the summary record may come only at finish
            for item in record.history.item:
                _set(run["summary"], item)
    return run


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m litlab.wandb_offline <run folder or run-*.wandb>")
    print(json.dumps(read_offline_run(sys.argv[1]), indent=2, default=str))
