"""MNIST from memory: decoded once into one uint8 tensor, batches cut by a single index.

The torchvision path builds every sample in Python (PIL image -> tensor -> normalise) and
then stacks them. Here the DataLoader's `__getitems__` fetch takes a whole batch of uint8
pixels at once; normalisation (and augmentation) happen per batch in
`on_after_batch_transfer`, i.e. after the batch reached the device, so on a GPU they run on
the GPU. With `on_device=true` (and `num_workers=0`) the uint8 data itself stays resident on
the GPU (47 MB for MNIST): no host-to-device copy per batch at all.

Split, seed, class subsets and the missing-data errors are `MNISTBase`'s, shared with
`data=mnist`, so both paths train on exactly the same images.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import Dataset
from torchvision.datasets import MNIST

from litlab.data.mnist import MNIST_MEAN, MNIST_STD, MNISTBase
from litlab.data.preprocess import normalize_pixels


@contextmanager
def one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run a batch's small CPU ops on one thread. Splitting 100 KB of pixels across threads
    gains nothing, and on a busy machine every op waits for the slowest thread: measured on
    2 shared cores, 2,300 samples/s with 2 threads vs 170,000 with 1. No-op off the CPU."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class TensorBatches(Dataset):
    """(images, targets) tensors; `__getitems__` returns a whole batch by one indexing op."""

    def __init__(self, images: Tensor, targets: Tensor) -> None:
        self.images, self.targets = images, targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.images[index], self.targets[index]

    def __getitems__(self, indices: list[int]) -> tuple[Tensor, Tensor]:
        with one_cpu_thread(self.images.device):
            index = torch.as_tensor(indices, device=self.images.device)
            return self.images[index], self.targets[index]


def keep_batch(batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """collate_fn for batches `__getitems__` already built."""
    return batch


def random_affine(
    images: Tensor,
    degrees: float = 10.0,
    translate: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
) -> Tensor:
    """A random rotation / shift / scale per image, like torchvision's RandomAffine, for a
    whole (N, C, H, W) float batch on its own device; borders fill with 0 (black)."""
    n, device = images.shape[0], images.device
    angle = (torch.rand(n, device=device) * 2 - 1) * math.radians(degrees)
    zoom = torch.empty(n, device=device).uniform_(*scale)
    shift = (torch.rand(n, 2, device=device) * 2 - 1) * (2 * translate)  # grid spans [-1, 1]
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # affine_grid maps output to input coordinates: the inverse of "rotate, zoom, then shift".
    matrix = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1)
    offset = -(matrix @ shift.unsqueeze(2))
    theta = torch.cat([matrix, offset], dim=2)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, padding_mode="zeros", align_corners=False)


class MNISTMemoryDataModule(MNISTBase):
    """`data=mnist` with an in-memory, per-batch data path (same arguments, plus `on_device`).

    Loaders yield uint8 batches; the Trainer turns them into normalised float input in
    `on_after_batch_transfer`. Code that reads the loaders outside a Trainer calls
    `to_model_input(batch)` itself.
    """

    collate_fn = staticmethod(keep_batch)

    def __init__(self, on_device: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_device = on_device

    def resident_device(self) -> torch.device:
        """Where the uint8 data lives: the run's accelerator when `on_device`, else the CPU."""
        trainer = self.trainer
        if not self.on_device or trainer is None or self.num_workers > 0:
            return torch.device("cpu")
        return trainer.strategy.root_device

    def setup(self, stage: str | None = None) -> None:
        if self.data_train is not None:
            return
        self.check_present()
        train, test = MNIST(self.data_dir, train=True), MNIST(self.data_dir, train=False)
        train_idx, val_idx, test_idx = self.split_indices(train.targets, test.targets)
        test_idx = range(len(test.targets)) if test_idx is None else test_idx
        device = self.resident_device()
        if device.type != "cpu":
            self.pin_memory = False  # already on the device; only CPU tensors can be pinned

        def part(source: MNIST, index: Any) -> TensorBatches:
            index = torch.as_tensor(list(index), dtype=torch.long)
            images = source.data[index].unsqueeze(1).contiguous()  # (N, 1, 28, 28) uint8
            targets = self.relabel(source.targets[index])
            return TensorBatches(images.to(device), targets.to(device))

        self.data_train = part(train, train_idx)
        self.data_val = part(train, val_idx)
        self.data_test = part(test, test_idx)
        self.log_sizes(f"in memory, {device.type}")

    def relabel(self, targets: Tensor) -> Tensor:
        """Original digit ids -> 0..len(classes)-1 when `classes` is set."""
        if not self.classes:
            return targets.long()
        lookup = torch.full((10,), -1, dtype=torch.long)
        lookup[torch.tensor(self.classes)] = torch.arange(len(self.classes))
        return lookup[targets.long()]

    def to_model_input(self, batch: tuple[Tensor, Tensor], augment: bool = False) -> Any:
        """uint8 pixels -> normalised float32, optionally augmented (training batches)."""
        x, y = batch
        if x.dtype != torch.uint8:
            return batch
        with one_cpu_thread(x.device):
            if augment:
                return normalize_pixels(random_affine(x.float()), MNIST_MEAN, MNIST_STD), y
            return normalize_pixels(x, MNIST_MEAN, MNIST_STD), y

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        training = self.trainer is not None and self.trainer.training
        return self.to_model_input(batch, augment=self.augment and training)
