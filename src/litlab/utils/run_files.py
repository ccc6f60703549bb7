"""Files a run leaves behind for people and tools: metrics.json, the resolved config."""

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf


def scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Plain floats from Lightning's metric dict (tensors, numbers), sorted by name."""
    out = {}
    for key, value in metrics.items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue
    return dict(sorted(out.items()))


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Write atomically (temp file + rename): readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in payload.items()
    }
    tmp.write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def write_resolved_config(cfg: DictConfig, output_dir: Path) -> None:
    """`config.yaml`: the config exactly as this run used it, interpolations resolved."""
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
