"""Export a trained checkpoint for deployment, and prove the artefact computes what the
eager model computes (max abs diff on a batch of another size than the traced one).

Formats: `onnx` (run back in onnxruntime), `pt2` (torch.export), `torchscript` (legacy:
deprecated upstream). The batch dimension is dynamic in all three. The artefact maps model
input (normalised, as `litlab.data.preprocess` makes it) to the task's output: logits for
classifiers, one value per sample for regressors.
"""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig
from torch import Tensor, nn

from litlab.checkpoints import load_task
from litlab.data.preprocess import InputSpec, spec_from_record
from litlab.errors import LitlabError
from litlab.utils.run_files import write_json

log = logging.getLogger(__name__)

SUFFIX = {"onnx": ".onnx", "pt2": ".pt2", "torchscript": ".ts"}


class Deployable(nn.Module):
    """The task's forward (network + output step) as a plain module: what gets exported."""

    def __init__(self, task: nn.Module) -> None:
        super().__init__()
        self.net = task.net
        object.__setattr__(task, "_compiled", None)  # export the plain network, not a compile
        self.task_forward = task.forward

    def forward(self, x: Tensor) -> Tensor:
        return self.task_forward(x)


def _export_onnx(model: nn.Module, x: Tensor, path: Path) -> Callable[[Tensor], Tensor]:
    import onnxruntime as ort

    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    torch.onnx.export(model, (x,), str(path), dynamo=True, input_names=["input"],
                      output_names=["output"], dynamic_shapes={"x": {0: batch}}, external_data=False,
                      verbose=False)  # fmt: skip
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda t: torch.from_numpy(session.run(None, {"input": t.numpy()})[0])


def _export_pt2(model: nn.Module, x: Tensor, path: Path) -> Callable[[Tensor], Tensor]:
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    program = torch.export.export(model, (x,), dynamic_shapes={"x": {0: batch}})
    torch.export.save(program, str(path))
    loaded = torch.export.load(str(path)).module()
    return lambda t: loaded(t)


def _export_torchscript(model: nn.Module, x: Tensor, path: Path) -> Callable[[Tensor], Tensor]:
    torch.jit.save(torch.jit.trace(model, x), str(path))
    loaded = torch.jit.load(str(path))
    return lambda t: loaded(t)


EXPORTERS = {"onnx": _export_onnx, "pt2": _export_pt2, "torchscript": _export_torchscript}


def export_model(
    ckpt_path: str | Path, fmt: str, output: str | Path, batch_size: int = 4, atol: float = 1e-5
) -> dict[str, Any]:
    """Export, reload, compare with eager on a fresh batch; LitlabError if parity fails."""
    if fmt not in EXPORTERS:
        raise LitlabError(f"format={fmt!r} is unknown. Fix: format=onnx|pt2|torchscript")
    task, checkpoint = load_task(ckpt_path)
    spec: InputSpec = spec_from_record(checkpoint["litlab"])
    model = Deployable(task.eval()).eval()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(batch_size, *spec.shape, generator=generator)
    with torch.no_grad():
        run = EXPORTERS[fmt](model, example, output)
        # A different batch size than the traced one: the batch dimension must be dynamic.
        check = torch.randn(batch_size + 3, *spec.shape, generator=generator)
        expected = model(check)
        got = run(check)
    if tuple(got.shape) != tuple(expected.shape):
        raise LitlabError(
            f"{fmt} export returned shape {tuple(got.shape)}, eager {tuple(expected.shape)}"
        )
    diff = float((got.float() - expected).abs().max())
    if not np.isfinite(diff) or diff > atol:
        raise LitlabError(
            f"{fmt} export does not match the eager model: max abs diff {diff:.3g} > {atol:g}"
        )
    log.info(
        "exported %s -> %s (max abs diff vs eager %.3g on a batch of %d)",
        fmt,
        output,
        diff,
        len(check),
    )
    return {"format": fmt, "path": str(output), "ckpt_path": str(ckpt_path), "max_abs_diff": diff,
            "atol": atol, "checked_batch": len(check), "input": spec.to_dict()}  # fmt: skip


def export(cfg: DictConfig) -> dict[str, Any]:
    """`python export.py ckpt_path=... format=...`: writes the artefact and export.json."""
    out_dir = Path(cfg.paths.output_dir)
    fmt = str(cfg.format)
    output = cfg.get("output") or out_dir / f"model{SUFFIX.get(fmt, '')}"
    report = export_model(cfg.ckpt_path, fmt, output, int(cfg.batch_size), float(cfg.atol))
    write_json(out_dir / "export.json", report)
    return report
