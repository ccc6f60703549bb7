"""Pictures callback: confusion matrix + misclassified grid for classifiers, a scatter for
regressors, saved in the run folder and sent to TensorBoard."""

from pathlib import Path

import torch
from deploy_helpers import TINY_CNN, train_run
from PIL import Image

from litlab.callbacks.pictures import as_image, confusion_figure, misclassified_figure


def png_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


def test_classifier_run_saves_and_logs_its_pictures(tmp_path: Path, monkeypatch) -> None:
    for var in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wandb_home"))
    monkeypatch.setenv("WANDB_MODE", "offline")
    run = tmp_path / "run"
    _, objects = train_run(
        run, "experiment=cnn_synthetic", "data.n_samples=256", "trainer.max_epochs=1",
        "logger=many", *TINY_CNN,  # csv + tensorboard + wandb (offline)
    )  # fmt: skip
    assert min(png_size(run / "confusion_matrix.png")) > 200
    assert min(png_size(run / "misclassified.png")) > 100
    assert not (run / "pred_vs_true.png").exists()
    # the grid holds only wrong predictions: the run is far from perfect, so there are some
    assert (
        objects["model"].test_confusion_matrix.trace()
        < objects["model"].test_confusion_matrix.sum()
    )

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard")).Reload()
    assert {"test/confusion_matrix", "test/misclassified"} <= set(events.Tags()["images"])
    logged = {
        p.name.rsplit("_", 2)[0]
        for p in run.glob("wandb/offline-run-*/files/media/images/test/*.png")
    }
    assert logged == {"confusion_matrix", "misclassified"}


def test_regression_run_saves_a_scatter(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train_run(run, "experiment=linreg_synthetic", "data.n_samples=256", "trainer.max_epochs=1")
    assert min(png_size(run / "pred_vs_true.png")) > 200
    assert not (run / "confusion_matrix.png").exists()


def test_figures_from_tensors() -> None:
    matrix = torch.tensor([[5, 1], [2, 7]])
    axes = confusion_figure(matrix).axes[0]
    assert [t.get_text() for t in axes.texts] == ["5", "1", "2", "7"]
    grid = misclassified_figure([torch.rand(1, 8, 8), torch.rand(3, 8, 8)], [0, 1], [1, 0])
    assert grid is not None and len(grid.axes) == 2
    assert grid.axes[0].get_title() == "true 0 / pred 1"
    assert as_image(torch.rand(8)) is None  # feature vectors are not drawn
    assert misclassified_figure([torch.rand(8)], [0], [1]) is None
