"""Regression task: MSE loss; MSE, MAE and R² per stage; `val/mse_best` for sweeps."""

from typing import Any

from torch import Tensor, nn
from torchmetrics import MetricCollection, MinMetric
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

from litlab.models.base import BaseTask


class RegressionTask(BaseTask):
    """Trains any component that maps inputs to one real value per sample."""

    best_key = "mse"

    def __init__(
        self,
        net: dict[str, Any],
        optimizer: dict[str, Any],
        scheduler: dict[str, Any] | None = None,
        compile: bool = False,
    ) -> None:
        super().__init__()
        self.save_plain_hyperparameters()
        self.setup_net()
        self.criterion = nn.MSELoss()
        self.init_metrics(
            lambda: MetricCollection(
                {"mse": MeanSquaredError(), "mae": MeanAbsoluteError(), "r2": R2Score()}
            ),
            MinMetric(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x).squeeze(-1)
