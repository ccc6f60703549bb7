"""DataModules: synthetic data is seeded and has the promised structure; MNIST reads IDX."""

from pathlib import Path

import pytest
import torch

from litlab.data.mnist import MNIST_MEAN, MNIST_STD, MNISTDataModule
from litlab.data.synthetic import SyntheticClassificationDataModule, SyntheticRegressionDataModule
from litlab.errors import LitlabError


def _all(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = zip(*[dataset[i] for i in range(len(dataset))], strict=True)
    return torch.stack(xs), torch.as_tensor(ys)


def test_regression_data_follows_the_true_weights() -> None:
    dm = SyntheticRegressionDataModule(n_samples=500, n_features=4, noise=0.0, bias=2.0, seed=3)
    dm.setup()
    x, y = dm.data_train.tensors
    assert torch.allclose(x @ dm.true_weights + 2.0, y, atol=1e-5)
    assert [len(d) for d in dm.datasets] == [400, 50, 50]


def test_regression_accepts_explicit_weights_and_checks_their_count() -> None:
    dm = SyntheticRegressionDataModule(n_features=2, weights=[1.5, -2.0])
    assert dm.true_weights.tolist() == [1.5, -2.0]
    with pytest.raises(LitlabError, match="data.weights has 3 values"):
        SyntheticRegressionDataModule(n_features=2, weights=[1.0, 2.0, 3.0])


def test_synthetic_data_is_seeded() -> None:
    a, b, c = (SyntheticClassificationDataModule(n_samples=200, seed=s) for s in (1, 1, 2))
    for dm in (a, b, c):
        dm.setup()
    assert torch.equal(a.data_train.tensors[0], b.data_train.tensors[0])
    assert not torch.equal(a.data_train.tensors[0], c.data_train.tensors[0])


def test_classification_shape_and_imbalance() -> None:
    dm = SyntheticClassificationDataModule(n_samples=5000, imbalance=10.0, seed=0)
    dm.setup()
    x, y = dm.data_train.tensors
    assert x.shape[1:] == (1, 28, 28) and x.dtype == torch.float32
    counts = torch.bincount(y, minlength=10).float()
    assert counts[0] > 5 * counts[9]  # expected ratio 10
    probs = dm.class_probabilities()
    assert probs[0] / probs[-1] == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "data.batch_size must be a positive integer"),
        ({"n_samples": -5}, "data.n_samples must be a positive integer"),
        ({"imbalance": 0.5}, "data.imbalance must be >= 1"),
        ({"val_fraction": 0.6, "test_fraction": 0.5}, "must be below 1"),
    ],
)
def test_bad_synthetic_settings_fail_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(LitlabError, match=message):
        SyntheticClassificationDataModule(**kwargs)


def test_mnist_module_reads_idx_files(tiny_mnist: Path) -> None:
    dm = MNISTDataModule(data_dir=str(tiny_mnist), download=False, val_fraction=0.25, seed=7)
    dm.prepare_data()
    dm.setup()
    assert (len(dm.data_train), len(dm.data_val), len(dm.data_test)) == (192, 64, 64)
    assert not set(dm.data_train.indices) & set(dm.data_val.indices)
    x, y = _all(dm.data_test)
    assert x.shape == (64, 1, 28, 28) and y.max() <= 9
    # normalised with the MNIST statistics: a 0-valued pixel maps to -mean/std
    assert x.min().item() == pytest.approx(-MNIST_MEAN / MNIST_STD, abs=1e-4)
    again = MNISTDataModule(data_dir=str(tiny_mnist), download=False, val_fraction=0.25, seed=7)
    again.setup()
    assert again.data_val.indices == dm.data_val.indices  # seeded split


def test_mnist_augmentation_touches_training_images_only(tiny_mnist: Path) -> None:
    dm = MNISTDataModule(data_dir=str(tiny_mnist), download=False, augment=True)
    dm.setup()
    torch.manual_seed(0)
    first, second = dm.data_train[0][0], dm.data_train[0][0]
    assert not torch.equal(first, second)
    assert torch.equal(dm.data_val[0][0], dm.data_val[0][0])
    assert torch.equal(dm.data_test[0][0], dm.data_test[0][0])


def test_missing_mnist_names_files_and_fix(tmp_path: Path) -> None:
    dm = MNISTDataModule(data_dir=str(tmp_path / "nowhere"), download=False)
    with pytest.raises(LitlabError) as err:
        dm.prepare_data()
    message = str(err.value)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "data.data_dir=" in message and "\n" not in message
