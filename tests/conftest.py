"""Shared fixtures: run the real CLI in a subprocess, compose configs, tiny MNIST files."""

import gzip
import os
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "conf"
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist-t10k-split"

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("MPLBACKEND", "Agg")


def run_cli(
    script: str,
    *overrides: str,
    log_dir: Path,
    timeout: float = 300,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run `python <script> <overrides> paths.log_dir=<log_dir>` from the repo root."""
    cmd = [sys.executable, str(ROOT / script), *overrides, f"paths.log_dir={log_dir}"]
    result = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HYDRA_FULL_ERROR": "0", **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {result.returncode}\n--- stdout\n{result.stdout[-4000:]}"
            f"\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """`cli("train.py", "experiment=x")`: runs with logs under this test's tmp_path/logs."""

    def _run(script: str, *overrides: str, **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("log_dir", tmp_path / "logs")
        return run_cli(script, *overrides, **kwargs)

    return _run


def run_dirs(log_dir: Path, task_name: str) -> list[Path]:
    """Single-run folders of a task, oldest first."""
    return sorted((log_dir / task_name / "runs").glob("*"))


def compose_run(
    run_dir: Path, *overrides: str, config_name: str = "train", log_dir: Path | None = None
) -> "DictConfig":  # noqa: F821
    """Compose conf/<config_name>.yaml with Hydra's runtime set as the CLI would, writing
    into `run_dir` (logs of other runs under `log_dir`, default: run_dir's parent)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            config_name,
            overrides=[f"paths.log_dir={log_dir or run_dir.parent}", *overrides],
            return_hydra_config=True,
        )
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(run_dir)
        cfg.hydra.job.num = 0
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    GlobalHydra.instance().clear()
    return cfg


@pytest.fixture
def compose_cfg(tmp_path: Path) -> Callable[..., "DictConfig"]:  # noqa: F821
    """`compose_cfg("experiment=x")`: a config that runs into tmp_path/run, logs in tmp_path/logs."""

    def _compose(*overrides: str, config_name: str = "train"):
        return compose_run(
            tmp_path / "run", *overrides, config_name=config_name, log_dir=tmp_path / "logs"
        )

    return _compose


# ---- tiny MNIST in torchvision's layout (IDX files), written by the tests ----------------


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write an IDX file (uint8 data) plus its .gz twin, like the published MNIST files."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(data)
    Path(str(path) + ".gz").write_bytes(gzip.compress(data))


def make_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Learnable 28x28 'digits': each class lights its own horizontal band, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    images = rng.integers(0, 60, size=(n, 28, 28))
    for i, label in enumerate(labels):
        images[i, 2 + 2 * label : 4 + 2 * label, 4:24] = 255
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_tiny_mnist(root: Path, n_train: int = 256, n_test: int = 64) -> Path:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = make_digits(n, seed)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data_dir holding a 256/64-image MNIST in torchvision's layout."""
    return write_tiny_mnist(tmp_path_factory.mktemp("mnist"))


def shared_mnist_or_skip() -> Path:
    """The real-digit split beside the repo (CI has it); skipped for users without it."""
    if not (SHARED_MNIST / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file():
        pytest.skip(f"real MNIST split not found at {SHARED_MNIST}")
    return SHARED_MNIST


def assert_files(folder: Path, names: Sequence[str]) -> None:
    missing = [n for n in names if not (folder / n).exists()]
    assert not missing, f"{folder} lacks {missing}; has {sorted(p.name for p in folder.iterdir())}"
