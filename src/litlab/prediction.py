"""Predict with a checkpoint on files: a folder of images, a .npy array or a .pt tensor.

Inputs go through `InputSpec.batch` (litlab.data.preprocess), the code the DataModules use,
so uint8 pixels are normalised exactly as in training; float arrays are taken as model
input already. Writes a CSV: file, predicted class, probability (regression: file, value).
"""

import csv
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig
from torch import Tensor

from litlab.checkpoints import load_task
from litlab.data.preprocess import InputSpec, spec_from_record
from litlab.errors import LitlabError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def read_image(path: Path, spec: InputSpec) -> np.ndarray:
    """uint8 (C, H, W) pixels, grey or RGB as the model expects."""
    from PIL import Image, UnidentifiedImageError

    channels = spec.shape[0] if len(spec.shape) == 3 else 1
    try:
        with Image.open(path) as image:
            pixels = np.array(image.convert("L" if channels == 1 else "RGB"))
    except (UnidentifiedImageError, OSError) as err:
        raise LitlabError(f"cannot read image {path}: {err}") from None
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def read_inputs(source: str | Path, spec: InputSpec) -> tuple[list[str], Tensor]:
    """(names, model-ready batch) from a folder of images, a .npy or a .pt file."""
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise LitlabError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {source}")
        batches = [_checked(spec, read_image(p, spec), p) for p in files]
        return [p.name for p in files], torch.cat(batches)
    if not source.is_file():
        raise LitlabError(f"input not found: {source}. Fix: input=<image folder | .npy | .pt>")
    if source.suffix == ".npy":
        try:
            values: Any = np.load(source, allow_pickle=False)
        except ValueError as err:
            raise LitlabError(f"cannot read {source} as a plain array: {err}") from None
    elif source.suffix == ".pt":
        values = torch.load(source, map_location="cpu", weights_only=True)
        if not isinstance(values, Tensor):
            raise LitlabError(f"{source} holds a {type(values).__name__}; expected one tensor")
    else:
        raise LitlabError(f"input {source} is not a folder, .npy or .pt file")
    batch = _checked(spec, values, source)
    return [f"{source.name}[{i}]" for i in range(len(batch))], batch


def _checked(spec: InputSpec, values: Any, source: Path) -> Tensor:
    try:
        return spec.batch(values)
    except LitlabError as err:
        raise LitlabError(f"{source}: {err}") from None


@torch.no_grad()
def predict_rows(
    model: torch.nn.Module, names: list[str], batch: Tensor, batch_size: int = 256
) -> list[dict[str, Any]]:
    """One row per sample: {file, pred, prob} for classifiers, {file, value} for regressors."""
    outputs = torch.cat([model(chunk) for chunk in torch.split(batch, batch_size)])
    if hasattr(model, "test_confusion_matrix"):  # a classifier: logits per class
        probs = outputs.softmax(dim=1)
        prob, pred = probs.max(dim=1)
        return [
            {"file": n, "pred": int(c), "prob": round(float(p), 6)}
            for n, c, p in zip(names, pred, prob, strict=True)
        ]
    values = outputs.reshape(len(names), -1)
    return [
        {"file": n, "value": float(v[0]) if len(v) == 1 else v.tolist()}
        for n, v in zip(names, values, strict=True)
    ]


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def predict(cfg: DictConfig) -> Path:
    """`python predict.py ckpt_path=... input=...`: writes the CSV, returns its path."""
    model, checkpoint = load_task(cfg.ckpt_path)
    model.eval()
    spec = spec_from_record(checkpoint["litlab"])
    names, batch = read_inputs(cfg.input, spec)
    rows = predict_rows(model, names, batch, int(cfg.batch_size))
    output = Path(cfg.get("output") or Path(cfg.paths.output_dir) / "predictions.csv")
    write_rows(rows, output)
    log.info("predicted %d samples from %s -> %s", len(rows), cfg.input, output)
    return output
