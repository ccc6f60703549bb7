"""Synthetic data that needs no disk: seeded, any size, with a known answer.

- `SyntheticRegressionDataModule`: "house prices" y = Xw + b + noise with known w and b, so
  a linear model can be checked against the truth.
- `SyntheticClassificationDataModule`: 1x28x28 image-like tensors, each class a fixed
  random pattern plus noise, optionally imbalanced; learnable, so accuracy means something.
"""

import torch
from torch.utils.data import Dataset, TensorDataset

from litlab.data.base import BaseDataModule, check_positive, seeded_permutation, split_sizes
from litlab.errors import LitlabError


class _SplitTensorModule(BaseDataModule):
    """Generates (x, y) once from the seed, then splits it into train / val / test."""

    def __init__(
        self,
        n_samples: int,
        val_fraction: float,
        test_fraction: float,
        seed: int,
        batch_size: int,
        num_workers: int,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        check_positive(n_samples=n_samples)
        if val_fraction + test_fraction >= 1.0:
            raise LitlabError("data.val_fraction + data.test_fraction must be below 1")
        self.n_samples, self.seed = n_samples, seed
        self.val_fraction, self.test_fraction = val_fraction, test_fraction

    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.data_train is not None:
            return
        x, y = self.generate(torch.Generator().manual_seed(self.seed))
        order = seeded_permutation(self.n_samples, self.seed + 1)
        rest, n_test = split_sizes(self.n_samples, self.test_fraction)
        n_val = int(round(self.n_samples * self.val_fraction))
        n_train = rest - n_val
        if min(n_train, n_val, n_test) <= 0:
            raise LitlabError(f"data.n_samples={self.n_samples} is too small to split")
        parts = torch.split(order, [n_train, n_val, n_test])
        self.data_train, self.data_val, self.data_test = (
            TensorDataset(x[idx], y[idx]) for idx in parts
        )

    @property
    def datasets(self) -> tuple[Dataset, Dataset, Dataset]:
        return self.data_train, self.data_val, self.data_test


class SyntheticRegressionDataModule(_SplitTensorModule):
    """y = X @ true_weights + true_bias + noise * N(0, 1); X ~ N(0, 1) (standardised features)."""

    def __init__(
        self,
        n_samples: int = 2048,
        n_features: int = 8,
        noise: float = 0.1,
        bias: float = 3.0,
        weights: list[float] | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(n_samples, val_fraction, test_fraction, seed, batch_size, num_workers)
        check_positive(n_features=n_features)
        self.save_hyperparameters(logger=False)
        generator = torch.Generator().manual_seed(seed)
        if weights is None:
            self.true_weights = torch.randn(n_features, generator=generator) * 2.0
        elif len(weights) != n_features:
            raise LitlabError(f"data.weights has {len(weights)} values; n_features={n_features}")
        else:
            self.true_weights = torch.tensor(weights, dtype=torch.float)
        self.true_bias = float(bias)
        self.n_features, self.noise = n_features, noise

    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(self.n_samples, self.n_features, generator=generator)
        noise = torch.randn(self.n_samples, generator=generator) * self.noise
        return x, x @ self.true_weights + self.true_bias + noise


class SyntheticClassificationDataModule(_SplitTensorModule):
    """Image-like (channels x size x size) samples: signal * class prototype + noise * N(0, 1).

    Prototypes are N(0, 1) images fixed by the seed; the defaults give an MLP a few epochs
    of real learning rather than a perfect score after one batch.

    `imbalance` > 1 makes class k rarer by a factor imbalance ** (k / (num_classes - 1)).
    """

    def __init__(
        self,
        n_samples: int = 4096,
        num_classes: int = 10,
        channels: int = 1,
        image_size: int = 28,
        signal: float = 0.15,
        noise: float = 1.0,
        imbalance: float = 1.0,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(n_samples, val_fraction, test_fraction, seed, batch_size, num_workers)
        check_positive(num_classes=num_classes, channels=channels, image_size=image_size)
        if imbalance < 1.0:
            raise LitlabError(f"data.imbalance must be >= 1 (1 = balanced), got {imbalance}")
        self.save_hyperparameters(logger=False)
        self.num_classes, self.shape = num_classes, (channels, image_size, image_size)
        self.signal, self.noise, self.imbalance = signal, noise, imbalance

    def class_probabilities(self) -> torch.Tensor:
        ranks = torch.arange(self.num_classes, dtype=torch.float) / max(self.num_classes - 1, 1)
        weights = self.imbalance ** (-ranks)
        return weights / weights.sum()

    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        prototypes = torch.randn(self.num_classes, *self.shape, generator=generator)
        y = torch.multinomial(
            self.class_probabilities(), self.n_samples, replacement=True, generator=generator
        )
        noise = torch.randn(self.n_samples, *self.shape, generator=generator)
        x = self.signal * prototypes[y] + self.noise * noise
        return x, y
