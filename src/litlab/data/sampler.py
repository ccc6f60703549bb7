"""Training order that depends only on (seed, epoch), so a resumed run sees the same batches."""

from collections.abc import Iterator, Sized

import torch
from torch.utils.data import RandomSampler


class EpochSeededSampler(RandomSampler):
    """Shuffles epoch k with `seed + k`: 2 epochs straight and 1 epoch + resume get the same
    order, with no RNG state to carry. Lightning calls `set_epoch` before every epoch.

    A `RandomSampler` on purpose: under DDP Lightning swaps it for a shuffling
    `DistributedSampler`, which is seeded per epoch the same way.
    """

    def __init__(self, data_source: Sized, seed: int, epoch: int = 0, skip: int = 0) -> None:
        super().__init__(data_source, generator=torch.Generator())
        self.seed = int(seed)
        self.epoch = int(epoch)  # set before DataLoader workers draw indices, also on resume
        self.skip = int(skip)  # samples the interrupted epoch already used (first pass only)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[int]:
        self.generator.manual_seed(self.seed + self.epoch)
        order = list(super().__iter__())
        skip, self.skip = self.skip, 0
        yield from order[skip:]
