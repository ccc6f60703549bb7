"""Classification task: cross-entropy, per-stage accuracy / macro P-R-F1, confusion matrix."""

from typing import Any

import torch
from torch import Tensor, nn
from torchmetrics import MaxMetric, MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)

from litlab.models.base import BaseTask


class ClassificationTask(BaseTask):
    """Trains any component that maps inputs to `num_classes` logits.

    Logs `<stage>/loss|acc|precision|recall|f1` (macro averages) and `val/acc_best`; after
    testing, `test_confusion_matrix` holds the (true x predicted) counts.
    """

    best_key = "acc"

    def __init__(
        self,
        net: dict[str, Any],
        optimizer: dict[str, Any],
        scheduler: dict[str, Any] | None = None,
        num_classes: int = 10,
        class_weights: list[float] | None = None,
        label_smoothing: float = 0.0,
        compile: bool = False,
    ) -> None:
        super().__init__()
        self.save_plain_hyperparameters()
        self.setup_net()
        weight = torch.tensor(class_weights, dtype=torch.float) if class_weights else None
        self.criterion = nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing)
        self.init_metrics(
            lambda: MetricCollection(
                {
                    "acc": MulticlassAccuracy(num_classes, average="micro"),
                    "precision": MulticlassPrecision(num_classes, average="macro"),
                    "recall": MulticlassRecall(num_classes, average="macro"),
                    "f1": MulticlassF1Score(num_classes, average="macro"),
                }
            ),
            MaxMetric(),
        )
        self.confusion = MulticlassConfusionMatrix(num_classes)
        self.test_confusion_matrix: Tensor | None = None

    def predictions(self, output: Tensor) -> Tensor:
        return output.argmax(dim=1)

    def on_stage_batch(self, stage: str, preds: Tensor, target: Tensor) -> None:
        if stage == "test":
            self.confusion.update(preds, target)

    def on_test_epoch_end(self) -> None:
        super().on_test_epoch_end()
        self.test_confusion_matrix = self.confusion.compute().cpu()
        self.confusion.reset()

    def predict_step(self, batch: Any, batch_idx: int) -> Tensor:
        """Class probabilities."""
        return super().predict_step(batch, batch_idx).softmax(dim=1)
