"""What every litlab DataModule shares: validated sizes, seeded splits, the DataLoaders."""

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from litlab.data.sampler import EpochSeededSampler
from litlab.errors import LitlabError


def check_positive(**values: Any) -> None:
    """Fail with one line naming the override when a size is not a positive integer."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise LitlabError(f"data.{name} must be a positive integer, got {value!r}")


def split_sizes(total: int, fraction: float) -> tuple[int, int]:
    """(kept, held out) sizes for holding out `fraction` of `total` samples."""
    if not 0.0 <= fraction < 1.0:
        raise LitlabError(f"split fraction must be in [0, 1), got {fraction!r}")
    held = int(round(total * fraction))
    return total - held, held


def seeded_permutation(n: int, seed: int) -> torch.Tensor:
    """The same order on every machine and rank for the same seed."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))


def unrepeated_sampler(dataset: Dataset) -> Sampler | None:
    """Under DDP, split an evaluation set so that every sample is seen exactly once.

    Lightning's default DistributedSampler pads the last batch with repeated samples, which
    skews val/test metrics when the set does not divide by the world size. Ranks may then run
    one batch fewer, which is safe: evaluation syncs only at epoch end. None outside DDP.
    """
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return None
    if torch.distributed.get_world_size() < 2:
        return None
    from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler

    return UnrepeatedDistributedSampler(dataset, shuffle=False)


class BaseDataModule(L.LightningDataModule):
    """Holds `data_train`, `data_val`, `data_test` and serves them.

    `batch_size` is per device (per process): under DDP with N devices the global batch is
    N x batch_size, Lightning's convention.
    """

    data_train: Dataset | None = None
    data_val: Dataset | None = None
    data_test: Dataset | None = None
    collate_fn: Callable[[Any], Any] | None = None  # None: PyTorch's default_collate

    def __init__(self, batch_size: int = 64, num_workers: int = 0, pin_memory: bool = False):
        super().__init__()
        check_positive(batch_size=batch_size)
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise LitlabError(f"data.num_workers must be an integer >= 0, got {num_workers!r}")
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.shuffle_seed = torch.initial_seed() % 2**62  # the run seed once seed_everything ran
        self.resume_at = (0, 0)  # (epoch, batches done): set on resume (callbacks/resume_state.py)
        self.pin_memory = pin_memory

    def _loader(self, dataset: Dataset | None, shuffle: bool) -> DataLoader:
        if dataset is None:
            raise RuntimeError("setup() must run before the dataloaders are requested")
        # Shuffled order from (run seed, epoch) only: exact on resume (see data/sampler.py).
        if shuffle:
            (epoch, batches), self.resume_at = self.resume_at, (0, 0)
            sampler = EpochSeededSampler(
                dataset, self.shuffle_seed, epoch=epoch, skip=batches * self.batch_size
            )
        else:
            sampler = unrepeated_sampler(dataset)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=self.collate_fn,
            # Its own generator: creating an iterator (e.g. after a resume) then draws the
            # worker base seed from it, not from the global RNG that dropout uses.
            generator=torch.Generator().manual_seed(self.shuffle_seed),
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data_train, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data_val, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.data_test, shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()
