"""Print a sweep's best parameters as command-line overrides.

python train.py experiment=mlp_synthetic $(python -m litlab.sweeps.best <sweep dir>)
"""

import shlex
import sys
from pathlib import Path

import yaml


def best_overrides(path: str | Path) -> list[str]:
    """The `overrides` list of `best_params.yaml` (a sweep folder or the file itself)."""
    path = Path(path)
    if path.is_dir():
        path = path / "best_params.yaml"
    return list(yaml.safe_load(path.read_text())["overrides"])


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.exit("usage: python -m litlab.sweeps.best <sweep dir or best_params.yaml>")
    print(" ".join(shlex.quote(o) for o in best_overrides(args[0])))


if __name__ == "__main__":
    main()
