"""Prediction from files: PNG folders, .npy and .pt give the predictions the training data
path gives (one preprocessing code path); regression writes values; bad input is one line."""

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_dirs
from deploy_helpers import mnist_checkpoint, regression_checkpoint
from PIL import Image
from torchvision.datasets import MNIST

from litlab.checkpoints import load_task
from litlab.data.mnist import MNISTDataModule
from litlab.data.preprocess import spec_from_record
from litlab.errors import LitlabError
from litlab.prediction import predict_rows, read_inputs


@pytest.fixture(scope="module")
def digits_ckpt(tmp_path_factory: pytest.TempPathFactory, tiny_mnist: Path) -> Path:
    return mnist_checkpoint(tmp_path_factory.mktemp("predict") / "run", tiny_mnist)


@pytest.fixture(scope="module")
def raw_test_pixels(tiny_mnist: Path) -> np.ndarray:
    """The first 12 raw uint8 test images (N, 28, 28)."""
    return MNIST(str(tiny_mnist), train=False).data[:12].numpy()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def training_path_predictions(ckpt: Path, data_dir: Path, n: int) -> list[int]:
    """What the model predicts on the DataModule's own (torchvision) test tensors."""
    data = MNISTDataModule(data_dir=str(data_dir), download=False)
    data.setup()
    x = torch.stack([data.data_test[i][0] for i in range(n)])
    model, _ = load_task(ckpt)
    with torch.no_grad():
        return model.eval()(x).argmax(dim=1).tolist()


def test_png_folder_matches_the_training_data_path(
    cli, tmp_path: Path, digits_ckpt: Path, raw_test_pixels: np.ndarray, tiny_mnist: Path
) -> None:
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, pixels in enumerate(raw_test_pixels):
        Image.fromarray(pixels).save(folder / f"digit_{i:02d}.png")
    cli("predict.py", f"ckpt_path={digits_ckpt}", f"input={folder}")
    (run,) = run_dirs(tmp_path / "logs", "predict")
    rows = read_csv(run / "predictions.csv")
    assert [r["file"] for r in rows] == [f"digit_{i:02d}.png" for i in range(12)]
    assert all(0.0 < float(r["prob"]) <= 1.0 for r in rows)
    expected = training_path_predictions(digits_ckpt, tiny_mnist, 12)
    assert [int(r["pred"]) for r in rows] == expected
    assert len(set(expected)) > 2  # the model tells digits apart, so equality means something


def test_npy_and_pt_inputs_agree_with_png_preprocessing(
    tmp_path: Path, digits_ckpt: Path, raw_test_pixels: np.ndarray, tiny_mnist: Path
) -> None:
    model, checkpoint = load_task(digits_ckpt)
    spec = spec_from_record(checkpoint["litlab"])
    assert spec.mean == pytest.approx(0.1307) and spec.shape == (1, 28, 28)
    np.save(tmp_path / "pixels.npy", raw_test_pixels)  # uint8 (N, 28, 28): raw pixels
    data = MNISTDataModule(data_dir=str(tiny_mnist), download=False)
    data.setup()
    normalised = torch.stack([data.data_test[i][0] for i in range(12)])  # float: model input
    torch.save(normalised, tmp_path / "inputs.pt")
    names_npy, batch_npy = read_inputs(tmp_path / "pixels.npy", spec)
    names_pt, batch_pt = read_inputs(tmp_path / "inputs.pt", spec)
    assert torch.equal(batch_npy, batch_pt)  # bit-identical preprocessing
    rows = predict_rows(model.eval(), names_npy, batch_npy)
    assert [r["pred"] for r in rows] == training_path_predictions(digits_ckpt, tiny_mnist, 12)
    assert names_npy[0] == "pixels.npy[0]" and names_pt[-1] == "inputs.pt[11]"


def test_regression_writes_values(tmp_path: Path) -> None:
    ckpt = regression_checkpoint(tmp_path / "run")
    model, checkpoint = load_task(ckpt)
    x = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    np.save(tmp_path / "houses.npy", x)
    names, batch = read_inputs(tmp_path / "houses.npy", spec_from_record(checkpoint["litlab"]))
    rows = predict_rows(model.eval(), names, batch)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).tolist()
    assert list(rows[0]) == ["file", "value"]
    assert [r["value"] for r in rows] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: np.save(d / "x.npy", np.zeros((2, 3, 5), np.float32)), "does not fit the model"),
        (lambda d: np.save(d / "x.npy", np.zeros((2, 28, 28), np.int64)), "dtype int64"),
        (lambda d: torch.save({"a": torch.zeros(1)}, d / "x.pt"), "expected one tensor"),
        (lambda d: (d / "x.txt").write_text("hi"), "not a folder, .npy or .pt"),
        (lambda d: (d / "dir").mkdir(), "no images"),
        (lambda d: d / "missing.npy", "input not found"),
    ],
)
def test_bad_inputs_fail_clearly(tmp_path: Path, digits_ckpt: Path, make, message: str) -> None:
    made = make(tmp_path)
    source = made if isinstance(made, Path) else next(p for p in tmp_path.iterdir())
    _, checkpoint = load_task(digits_ckpt)
    with pytest.raises(LitlabError, match=message):
        read_inputs(source, spec_from_record(checkpoint["litlab"]))
