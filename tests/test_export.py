"""Export: each format is written, reloaded and checked against the eager model; the batch
dimension is dynamic; a parity failure is loud."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_dirs
from deploy_helpers import classifier_checkpoint, regression_checkpoint

from litlab.checkpoints import load_task
from litlab.errors import LitlabError
from litlab.exporting import export_model


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return classifier_checkpoint(tmp_path_factory.mktemp("export") / "run")


def eager(ckpt: Path, x: torch.Tensor) -> torch.Tensor:
    model, _ = load_task(ckpt)
    with torch.no_grad():
        return model.eval()(x)


def reload_and_run(path: Path, fmt: str, x: torch.Tensor) -> torch.Tensor:
    """Run an exported file the way a deployment would, independent of litlab."""
    if fmt == "onnx":
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return torch.from_numpy(session.run(None, {"input": x.numpy()})[0])
    if fmt == "pt2":
        return torch.export.load(str(path)).module()(x)
    return torch.jit.load(str(path))(x)


def test_cli_exports_onnx_with_parity_report(cli, tmp_path: Path, classifier: Path) -> None:
    cli("export.py", f"ckpt_path={classifier}", "format=onnx")
    (run,) = run_dirs(tmp_path / "logs", "export")
    report = json.loads((run / "export.json").read_text())
    assert report["format"] == "onnx" and report["max_abs_diff"] <= 1e-5
    assert report["input"]["shape"] == [1, 28, 28]
    x = torch.randn(1, 1, 28, 28)  # batch 1: neither the traced nor the checked size
    got = reload_and_run(run / "model.onnx", "onnx", x)
    assert np.abs((got - eager(classifier, x)).numpy()).max() <= 1e-5


@pytest.mark.parametrize("fmt", ["pt2", "torchscript"])
def test_torch_formats_keep_parity_and_dynamic_batch(
    tmp_path: Path, classifier: Path, fmt: str
) -> None:
    path = tmp_path / f"model.{fmt}"
    report = export_model(classifier, fmt, path)
    assert report["max_abs_diff"] <= 1e-5 and report["checked_batch"] == 7
    for batch in (1, 16):
        x = torch.randn(batch, 1, 28, 28)
        got = reload_and_run(path, fmt, x)
        assert got.shape == (batch, 10)
        assert (got - eager(classifier, x)).abs().max() <= 1e-5


def test_regression_export_outputs_one_value_per_sample(tmp_path: Path) -> None:
    ckpt = regression_checkpoint(tmp_path / "run")
    report = export_model(ckpt, "onnx", tmp_path / "linreg.onnx")
    assert report["input"]["shape"] == [8]
    x = torch.randn(3, 8)
    got = reload_and_run(tmp_path / "linreg.onnx", "onnx", x)
    assert got.shape == (3,) and (got - eager(ckpt, x)).abs().max() <= 1e-5


def test_parity_failure_and_bad_format_are_loud(tmp_path: Path, classifier: Path) -> None:
    with pytest.raises(LitlabError, match="does not match the eager model"):
        export_model(classifier, "torchscript", tmp_path / "m.ts", atol=-1.0)  # nothing passes
    with pytest.raises(LitlabError, match="format=onnx\\|pt2\\|torchscript"):
        export_model(classifier, "tflite", tmp_path / "m.tflite")
