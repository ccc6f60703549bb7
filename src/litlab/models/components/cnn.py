"""Convolutional classifier; the default is the classic MNIST net (conv32-conv64-pool-fc128)."""

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class CNN(nn.Module):
    """[Conv -> ReLU] per entry of `channels`, max-pool, dropout, then fc `hidden` -> head.

    `pool_every` inserts a 2x2 max-pool after every n-th conv (0: one pool at the end), so
    deeper nets for larger images need no new code.
    """

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        pool_every: int = 0,
        conv_dropout: float = 0.25,
        hidden: int = 128,
        dropout: float = 0.5,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_channels
        for i, out in enumerate(channels, start=1):
            layers += [nn.Conv2d(width, out, kernel_size), nn.ReLU()]
            if pool_every and i % pool_every == 0:
                layers.append(nn.MaxPool2d(2))
            width = out
        if not pool_every:
            layers.append(nn.MaxPool2d(2))
        layers += [nn.Dropout(conv_dropout), nn.Flatten()]
        conv = nn.Sequential(*layers)
        with torch.no_grad():
            flat = conv(torch.zeros(1, in_channels, image_size, image_size)).shape[1]
        self.features = nn.Sequential(
            *conv, nn.Linear(flat, hidden), nn.ReLU(), nn.Dropout(dropout)
        )
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
