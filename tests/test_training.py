"""The training pipeline through the Python API (compose + train), as sweeps and notebooks use it."""

from pathlib import Path

import pytest
import torch

from litlab.training import optimized_value, train

CONF = Path(__file__).resolve().parents[1] / "conf"
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


def test_the_seed_experiments_exist() -> None:
    expected = {"linreg_synthetic", "mlp_synthetic", "cnn_synthetic", "mlp_mnist", "cnn_mnist"}
    assert expected <= set(EXPERIMENTS)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_runs_fast_dev_run(compose_cfg, experiment: str, tiny_mnist: Path) -> None:
    overrides = [f"experiment={experiment}", "debug=fdr"]
    cfg = compose_cfg(*overrides)
    if "data_dir" in cfg.data:
        cfg = compose_cfg(*overrides, f"data.data_dir={tiny_mnist}")
    metrics, objects = train(cfg)
    assert objects["trainer"].fast_dev_run
    assert any(key.startswith("test/") for key in metrics), metrics
    assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values())


def test_linear_regression_recovers_the_true_weights(compose_cfg) -> None:
    cfg = compose_cfg("experiment=linreg_synthetic", "logger=none", "data.noise=0.1")
    metrics, objects = train(cfg)
    dm, model = objects["datamodule"], objects["model"]
    learnt_w = model.net.head.weight.detach().squeeze(0)
    learnt_b = model.net.head.bias.item()
    # Tolerance: with noise 0.1 and 1,638 training samples the least-squares error is ~0.003;
    # SGD noise adds a little. 0.05 is tight enough to catch a wrong model or data.
    assert torch.allclose(learnt_w, dm.true_weights, atol=0.05), (learnt_w, dm.true_weights)
    assert learnt_b == pytest.approx(dm.true_bias, abs=0.05)
    assert metrics["test/r2"] > 0.99
    assert optimized_value(cfg, metrics) == metrics["val/mse_best"]


def test_a_small_batch_is_overfit(compose_cfg) -> None:
    cfg = compose_cfg(
        "experiment=mlp_synthetic",
        "debug=overfit",
        "trainer.overfit_batches=1",
        "trainer.max_epochs=40",
        "model.net.dropout=0.0",
        "logger=none",
        "test=false",
    )
    metrics, _ = train(cfg)
    assert metrics["train/acc"] == 1.0
    assert metrics["train/loss"] < 0.05


def test_seed_zero_is_honoured(compose_cfg) -> None:
    def weights(seed: int) -> torch.Tensor:
        cfg = compose_cfg(
            "experiment=mlp_synthetic",
            f"seed={seed}",
            "trainer.max_epochs=1",
            "data.n_samples=256",
            "logger=none",
            "test=false",
            "callbacks=none",
        )
        _, objects = train(cfg)
        return torch.cat([p.detach().flatten() for p in objects["model"].parameters()])

    assert torch.equal(weights(0), weights(0))
    assert not torch.equal(weights(0), weights(1))


def test_optimized_metric_must_be_logged(compose_cfg) -> None:
    from litlab.errors import LitlabError

    cfg = compose_cfg("optimized_metric=val/nope")
    with pytest.raises(LitlabError, match="optimized_metric='val/nope' was not logged"):
        optimized_value(cfg, {"val/acc": 0.5})
