"""Components and tasks: shapes, options, optimisers/schedulers, safe checkpoint loading."""

from pathlib import Path

import lightning as L
import pytest
import torch
from hydra.utils import instantiate

from litlab.models.classification import ClassificationTask
from litlab.models.components.cnn import CNN
from litlab.models.components.linear import LinearRegression
from litlab.models.components.mlp import MLP
from litlab.models.regression import RegressionTask

ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 1e-3}
MLP_NET = {"_target_": "litlab.models.components.mlp.MLP", "hidden_sizes": [32], "out_features": 10}


def test_cnn_default_is_the_classic_mnist_net() -> None:
    net = CNN()
    # conv32 (320) + conv64 (18,496) + fc 9216->128 (1,179,776) + head 128->10 (1,290)
    assert sum(p.numel() for p in net.parameters()) == 1_199_882
    assert net(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert isinstance(net.head, torch.nn.Linear)


def test_cnn_pool_every_handles_deeper_nets() -> None:
    net = CNN(channels=[16, 32, 64], kernel_size=3, pool_every=1, image_size=32, num_classes=7)
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 7)


def test_mlp_options() -> None:
    net = MLP(
        in_features=12,
        hidden_sizes=[8, 4],
        out_features=3,
        activation_name="gelu",
        dropout=0.5,
        batch_norm=True,
    )
    kinds = [type(m).__name__ for m in net.features]
    assert kinds.count("BatchNorm1d") == 2 and kinds.count("GELU") == 2
    assert kinds.count("Dropout") == 2
    assert net(torch.zeros(4, 12)).shape == (4, 3)
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        MLP(activation_name="swishy")


def test_linear_regression_is_affine() -> None:
    net = LinearRegression(in_features=3)
    x = torch.randn(6, 3)
    expected = x @ net.head.weight.T + net.head.bias
    assert torch.allclose(net(x), expected)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "adagrad"])
@pytest.mark.parametrize("scheduler", [None, "cosine", "step", "plateau", "onecycle"])
def test_every_optimizer_and_scheduler_trains(
    compose_cfg, optimizer: str, scheduler: str | None
) -> None:
    overrides = ["experiment=mlp_synthetic", f"model/optimizer={optimizer}"]
    if scheduler:
        overrides.append(f"model/scheduler={scheduler}")
    cfg = compose_cfg(*overrides, "data.n_samples=256")
    from litlab.utils.containers import to_plain

    model = instantiate(to_plain(cfg.model), _recursive_=False)
    datamodule = instantiate(cfg.data)
    trainer = L.Trainer(
        max_epochs=2,
        limit_train_batches=2,
        limit_val_batches=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    before = [p.detach().clone() for p in model.parameters()]
    trainer.fit(model, datamodule=datamodule)
    assert type(trainer.optimizers[0]).__name__.lower() == optimizer
    assert len(trainer.lr_scheduler_configs) == (1 if scheduler else 0)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_checkpoint_hparams_are_plain_and_load_safely(tmp_path: Path, compose_cfg) -> None:
    cfg = compose_cfg("experiment=cnn_synthetic", "model/scheduler=cosine")
    from litlab.utils.containers import to_plain

    model = instantiate(to_plain(cfg.model), _recursive_=False)
    trainer = L.Trainer(
        max_epochs=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        limit_train_batches=1,
        limit_val_batches=1,
    )
    trainer.fit(model, datamodule=instantiate(cfg.data))
    path = tmp_path / "m.ckpt"
    trainer.save_checkpoint(path)
    raw = torch.load(path, weights_only=True)  # would raise on DictConfig/partial/objects
    assert raw["hyper_parameters"]["net"]["_target_"].endswith("cnn.CNN")
    assert raw["hyper_parameters"]["scheduler"]["T_max"] == cfg.trainer.max_epochs
    loaded = ClassificationTask.load_from_checkpoint(path, weights_only=True)
    x = torch.randn(3, 1, 28, 28)
    model.eval()
    loaded.eval()
    assert torch.equal(model(x), loaded(x))


def test_class_weights_and_label_smoothing_reach_the_loss() -> None:
    task = ClassificationTask(
        net=MLP_NET, optimizer=ADAM, class_weights=[1.0] * 9 + [5.0], label_smoothing=0.1
    )
    assert task.criterion.label_smoothing == 0.1
    assert task.criterion.weight[-1] == 5.0


def test_regression_task_outputs_one_value_per_sample() -> None:
    net = {"_target_": "litlab.models.components.linear.LinearRegression", "in_features": 4}
    task = RegressionTask(net=net, optimizer=ADAM)
    assert task(torch.randn(7, 4)).shape == (7,)
