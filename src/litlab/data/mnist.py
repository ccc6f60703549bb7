"""MNIST through torchvision: seeded train/val split, normalisation, optional augmentation.

`MNISTBase` holds what every MNIST DataModule shares (arguments, download, the seeded
split, class subsets); `MNISTDataModule` serves it through torchvision's per-sample
transforms, `litlab.data.mnist_memory.MNISTMemoryDataModule` from one in-memory tensor.
"""

import logging
from functools import partial
from pathlib import Path
from typing import Any

from torch import Tensor
from torch.utils.data import Subset
from torchvision import transforms
from torchvision.datasets import MNIST

from litlab.data.base import BaseDataModule, seeded_permutation, split_sizes
from litlab.data.preprocess import MNIST_MEAN, MNIST_STD, normalize_pixels
from litlab.data.subsets import LabelMap, check_classes, select
from litlab.errors import LitlabError

log = logging.getLogger(__name__)

RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def mnist_present(data_dir: str | Path) -> bool:
    """True when torchvision's extracted IDX files are in `<data_dir>/MNIST/raw/`."""
    raw = Path(data_dir) / "MNIST" / "raw"
    return all((raw / name).is_file() for name in RAW_FILES)


def missing_data_message(data_dir: str | Path, reason: str) -> str:
    raw = Path(data_dir).resolve() / "MNIST" / "raw"
    return (
        f"MNIST not found in {raw} (expected {', '.join(RAW_FILES)}); {reason}. "
        "Fix: pass data.data_dir=<folder holding MNIST/raw>, or data.download=true on a "
        "machine with internet."
    )


class MNISTBase(BaseDataModule):
    """Official train set split into train/val by `val_fraction` (seeded); official test set.

    `classes` keeps only those digits, relabelled 0..len(classes)-1 in that order;
    `samples_per_class` is a labelled budget: that many training images per class, plus the
    matching `val_fraction` share for validation (the test set stays whole).
    Subclasses fill `data_train/val/test` in `setup` from `split_indices`.
    """

    pixel_mean, pixel_std = MNIST_MEAN, MNIST_STD  # recorded in checkpoints for predict/serve

    def __init__(
        self,
        data_dir: str = "data/",
        download: bool = True,
        val_fraction: float = 0.1,
        augment: bool = False,
        seed: int = 42,
        batch_size: int = 128,
        num_workers: int = 0,
        pin_memory: bool = False,
        classes: list[int] | None = None,
        samples_per_class: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, pin_memory=pin_memory)
        split_sizes(1, val_fraction)  # validates the fraction now, not after a download
        self.classes = check_classes(classes, 10)
        self.samples_per_class = samples_per_class
        self.save_hyperparameters(logger=False)
        self.data_dir, self.download = str(data_dir), download
        self.val_fraction, self.augment, self.seed = val_fraction, augment, seed

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else 10

    def prepare_data(self) -> None:
        """Download once (rank 0 only, Lightning's rule); fail clearly if that is impossible."""
        if mnist_present(self.data_dir):
            return
        if not self.download:
            raise LitlabError(missing_data_message(self.data_dir, "data.download=false"))
        try:
            MNIST(self.data_dir, train=True, download=True)
            MNIST(self.data_dir, train=False, download=True)
        except Exception as err:  # torchvision raises bare RuntimeError/URLError offline
            reason = f"download failed ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
            raise LitlabError(missing_data_message(self.data_dir, reason)) from None

    def check_present(self) -> None:
        if not mnist_present(self.data_dir):
            raise LitlabError(missing_data_message(self.data_dir, "prepare_data() found none"))

    def split_indices(
        self, train_targets: Tensor, test_targets: Tensor
    ) -> tuple[list[int], list[int], list[int] | None]:
        """(train, val, test) indices: train/val from the official train set in a seeded
        order, filtered by `classes` / `samples_per_class`; test is None when it stays whole."""
        n_train, _ = split_sizes(len(train_targets), self.val_fraction)
        order = seeded_permutation(len(train_targets), self.seed)
        per_class, val_per_class = self.samples_per_class, None
        if per_class:
            val_per_class = max(1, round(per_class * self.val_fraction / (1 - self.val_fraction)))
        train = select(train_targets, order[:n_train], self.classes, per_class)
        val = select(train_targets, order[n_train:], self.classes, val_per_class)
        test = (
            select(test_targets, range(len(test_targets)), self.classes) if self.classes else None
        )
        return train, val, test

    def log_sizes(self, how: str) -> None:
        log.info(
            "MNIST (%s): %d train / %d val / %d test from %s",
            how,
            len(self.data_train),
            len(self.data_val),
            len(self.data_test),
            self.data_dir,
        )


class MNISTDataModule(MNISTBase):
    """MNIST through torchvision, one PIL image at a time (works with any `num_workers`).

    Images are normalised with the MNIST mean/std; `augment=true` adds a small random affine
    (rotation, shift, scale) to training images only. Arguments: see `MNISTBase`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        normalize = [
            transforms.PILToTensor(),
            partial(normalize_pixels, mean=MNIST_MEAN, std=MNIST_STD),
        ]
        self.eval_transform = transforms.Compose(normalize)
        augmentation = [transforms.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1))]
        self.train_transform = transforms.Compose(
            (augmentation if self.augment else []) + normalize
        )

    def setup(self, stage: str | None = None) -> None:
        if self.data_train is not None:
            return
        self.check_present()
        relabel = LabelMap(self.classes) if self.classes else None
        train_full = MNIST(self.data_dir, True, self.train_transform, relabel)
        val_full = MNIST(self.data_dir, True, self.eval_transform, relabel)
        test_full = MNIST(self.data_dir, False, self.eval_transform, relabel)
        train_idx, val_idx, test_idx = self.split_indices(train_full.targets, test_full.targets)
        self.data_train = Subset(train_full, train_idx)
        self.data_val = Subset(val_full, val_idx)
        self.data_test = test_full if test_idx is None else Subset(test_full, test_idx)
        self.log_sizes("torchvision")
