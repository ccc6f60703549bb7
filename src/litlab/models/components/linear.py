"""Linear regression: one affine layer, y = Xw + b."""

from torch import Tensor, nn


class LinearRegression(nn.Module):
    """y = Xw + b. `head` is the only layer, so the learnt w and b are easy to read back."""

    def __init__(self, in_features: int, out_features: int = 1) -> None:
        super().__init__()
        self.head = nn.Linear(in_features, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(x.flatten(1))
