"""An HTTP model server for a litlab checkpoint, on LitServe (FastAPI + uvicorn underneath).

Endpoints: `POST /predict`, `GET /health` (200 once the model is loaded), `GET /info`
(model metadata: task, input shape, normalisation, classes). `/predict` takes JSON:

    {"inputs": <nested list: one sample or a batch>, "dtype": "float32" | "uint8"}
    {"image": "<base64 PNG/JPEG>"}   or   {"images": ["<base64>", ...]}

and answers {"predictions": [...], "probabilities": [...]} (classifiers) or {"values": [...]}
(regressors), one entry per sample. Bad input of any kind gets a 4xx with a message: FastAPI
validates the JSON (422), `decode_request` checks shape, dtype and size (422/413), and
LitServe's payload limit turns oversized bodies away (413).
"""

import base64
import binascii
import io
import logging
import os
import signal
from pathlib import Path
from typing import Any, Literal

import litserve as ls
import numpy as np
import torch
from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict

from litlab.checkpoints import load_checkpoint, load_task
from litlab.data.preprocess import InputSpec, spec_from_record
from litlab.errors import LitlabError

log = logging.getLogger(__name__)


class PredictRequest(BaseModel):
    """The /predict body. Exactly one of `inputs`, `image`, `images`."""

    model_config = ConfigDict(extra="forbid")

    inputs: list[Any] | None = None
    dtype: Literal["float32", "uint8"] = "float32"
    image: str | None = None
    images: list[str] | None = None


def decode_image(data: str, spec: InputSpec) -> np.ndarray:
    """uint8 (C, H, W) pixels from a base64 PNG/JPEG."""
    from PIL import Image, UnidentifiedImageError

    try:
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if len(spec.shape) == 3 and image.size != (spec.shape[2], spec.shape[1]):
                size = f"{spec.shape[2]}x{spec.shape[1]}"
                raise HTTPException(
                    422, f"image is {image.size[0]}x{image.size[1]}; the model takes {size}"
                )
            grey = len(spec.shape) != 3 or spec.shape[0] == 1
            pixels = np.array(image.convert("L" if grey else "RGB"))
    except (binascii.Error, ValueError):
        raise HTTPException(422, "image is not valid base64") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise HTTPException(422, "image is not a readable PNG/JPEG") from None
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def request_array(request: PredictRequest, spec: InputSpec) -> np.ndarray:
    given = [name for name in ("inputs", "image", "images") if getattr(request, name) is not None]
    if len(given) != 1:
        raise HTTPException(422, "send exactly one of 'inputs', 'image', 'images'")
    if request.image is not None:
        return decode_image(request.image, spec)
    if request.images is not None:
        if not request.images:
            raise HTTPException(422, "'images' is empty")
        return np.stack([decode_image(item, spec) for item in request.images])
    try:
        values = np.asarray(request.inputs, dtype=np.float64)
    except (ValueError, TypeError):
        raise HTTPException(422, "'inputs' must be a rectangular nested list of numbers") from None
    if request.dtype == "uint8":
        if not np.all((values >= 0) & (values <= 255) & (values == np.round(values))):
            raise HTTPException(422, "dtype uint8: 'inputs' must be integers in 0..255")
        return values.astype(np.uint8)
    if not np.all(np.isfinite(values)):
        raise HTTPException(422, "'inputs' holds NaN or infinity")
    return values.astype(np.float32)


class LitlabAPI(ls.LitAPI):
    """Loads the checkpoint in each worker; one request may carry a batch of samples."""

    def __init__(self, ckpt_path: str, max_samples: int = 256) -> None:
        super().__init__(api_path="/predict")
        self.ckpt_path, self.max_samples = ckpt_path, max_samples

    def setup(self, device: str) -> None:
        self.model, checkpoint = load_task(self.ckpt_path)
        self.model.eval().to(device)
        self.device = device
        self.spec = spec_from_record(checkpoint["litlab"])
        self.classifier = hasattr(self.model, "test_confusion_matrix")

    def decode_request(self, request: PredictRequest) -> torch.Tensor:
        array = request_array(request, self.spec)
        try:
            batch = self.spec.batch(array)
        except LitlabError as err:
            raise HTTPException(422, str(err)) from None
        if len(batch) > self.max_samples:
            raise HTTPException(
                413, f"{len(batch)} samples in one request; the limit is {self.max_samples}"
            )
        if len(batch) == 0:
            raise HTTPException(422, "no samples in the request")
        return batch

    @torch.no_grad()
    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model(batch.to(self.device)).float().cpu()

    def encode_response(self, output: torch.Tensor) -> dict[str, Any]:
        if self.classifier:
            probs = output.softmax(dim=1)
            return {"predictions": probs.argmax(dim=1).tolist(), "probabilities": probs.tolist()}
        return {"values": output.reshape(len(output), -1).squeeze(-1).tolist()}


def model_info(ckpt_path: str | Path) -> dict[str, Any]:
    """What /info reports about the model (read once, in the parent process)."""
    checkpoint = load_checkpoint(ckpt_path)
    meta = checkpoint.get("litlab") or {}
    hparams = checkpoint.get("hyper_parameters") or {}
    spec = spec_from_record(meta)
    return {"checkpoint": str(ckpt_path), "task": meta.get("task"), "net": (hparams.get("net") or {}).get("_target_"),
            "num_classes": hparams.get("num_classes"), "input": spec.to_dict(),
            "litlab_version": meta.get("version")}  # fmt: skip


def build_server(
    ckpt_path: str, max_payload_mb: float = 4.0, max_samples: int = 256, timeout: float = 30
) -> ls.LitServer:
    info = model_info(ckpt_path)  # fails fast (one clear line) before any worker starts
    if not info["task"]:
        raise LitlabError(
            f"{ckpt_path} is not a litlab checkpoint. Fix: serve a .ckpt from python train.py"
        )
    return ls.LitServer(
        LitlabAPI(str(ckpt_path), max_samples=max_samples),
        accelerator="auto",
        devices=1,
        workers_per_device=1,
        timeout=timeout,
        model_metadata=info,
        max_payload_size=int(max_payload_mb * 1024 * 1024),
    )


def _interrupt(signum: int, frame: Any) -> None:
    if os.getpid() != _MAIN_PID[0]:  # a forked server process: die quietly, as by default
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt


_MAIN_PID = [0]


def serve(cfg: Any) -> None:
    """`litlab-serve ckpt_path=...`: blocks until interrupted."""
    server = build_server(
        str(cfg.ckpt_path), float(cfg.max_payload_mb), int(cfg.max_samples), float(cfg.timeout)
    )
    log.info(
        "serving %s on http://%s:%d (POST /predict, GET /health, GET /info)",
        cfg.ckpt_path,
        cfg.host,
        cfg.port,
    )
    _MAIN_PID[0] = os.getpid()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` shuts down workers like Ctrl+C does
    server.run(
        host=str(cfg.host), port=int(cfg.port), generate_client_file=False, num_api_servers=1
    )
