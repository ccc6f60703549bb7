"""Class subsets and labelled budgets (e.g. digits 5-9, 50 images each) for any dataset."""

from collections.abc import Sequence

import torch
from torch import Tensor

from litlab.data.base import check_positive
from litlab.errors import LitlabError


def check_classes(classes: Sequence[int] | None, num_classes: int) -> list[int] | None:
    """Validate `data.classes`: distinct ids in [0, num_classes)."""
    if classes is None:
        return None
    classes = [int(c) for c in classes]
    if (
        not classes
        or len(set(classes)) != len(classes)
        or not all(0 <= c < num_classes for c in classes)
    ):
        raise LitlabError(
            f"data.classes must be distinct class ids in [0, {num_classes}), got {classes}"
        )
    return classes


def select(
    targets: Tensor,
    indices: Tensor | Sequence[int],
    classes: Sequence[int] | None,
    per_class: int | None = None,
) -> list[int]:
    """The entries of `indices` whose target is in `classes`, at most `per_class` of each
    (the first ones in `indices`' order, so a seeded order gives a seeded subset)."""
    indices = torch.as_tensor(indices, dtype=torch.long)
    if per_class is not None:
        check_positive(samples_per_class=per_class)
    if classes is None and per_class is None:
        return indices.tolist()
    wanted = classes if classes is not None else targets.unique().tolist()
    labels = targets[indices]
    keep = torch.zeros(len(indices), dtype=torch.bool)
    for c in wanted:
        hits = (labels == c).nonzero().flatten()
        keep[hits[:per_class] if per_class is not None else hits] = True
    return indices[keep].tolist()


class LabelMap:
    """Maps original class ids to 0..len(classes)-1 in the order of `classes` (picklable,
    so it works in DataLoader workers)."""

    def __init__(self, classes: Sequence[int]) -> None:
        self.index = {int(c): i for i, c in enumerate(classes)}

    def __call__(self, target: int | Tensor) -> int:
        return self.index[int(target)]
