"""Broken checkpoints for the reliability tests: each one a way a real file goes bad."""

import os
from pathlib import Path

import pytest
import torch
from deploy_helpers import tiny_checkpoint

TINY_MLP = ["data.n_samples=256", "model.net.hidden_sizes=[16]", "~callbacks.pictures"]


_TRAINED: dict[str, Path] = {}


def tiny_mlp_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real litlab checkpoint (1-hidden-layer MLP, one epoch), trained once per session."""
    if "mlp" not in _TRAINED:
        _TRAINED["mlp"] = tiny_checkpoint(tmp_path_factory.mktemp("tiny_mlp") / "run", *TINY_MLP)
    return _TRAINED["mlp"]


class ShellPayload:
    """Pickles into "call os.system(command)": what a malicious checkpoint would carry."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def write_bad_checkpoints(folder: Path, good: Path, marker: Path) -> dict[str, Path]:
    """{case: path} for every failure mode litlab must refuse with one clear line."""
    folder.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    paths = {name: folder / f"{name}.ckpt" for name in (
        "truncated", "corrupt", "empty", "plain_state_dict", "other_model", "pickle_payload",
    )}  # fmt: skip
    paths["truncated"].write_bytes(data[: len(data) // 2])
    paths["corrupt"].write_bytes(bytes(range(256)) * 20)
    paths["empty"].write_bytes(b"")
    torch.save({"weight": torch.zeros(3, 3)}, paths["plain_state_dict"])
    checkpoint = torch.load(good, map_location="cpu", weights_only=True)
    checkpoint["hyper_parameters"]["net"]["hidden_sizes"] = [32, 32]  # weights stay [16]
    torch.save(checkpoint, paths["other_model"])
    payload = {**checkpoint, "extra": ShellPayload(f"touch {marker}")}
    torch.save(payload, paths["pickle_payload"])
    paths["missing"] = folder / "does_not_exist.ckpt"
    return paths
