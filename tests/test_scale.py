"""Scale-out and speed paths: DDP on CPU through the CLI, bf16-mixed, torch.compile
checkpoints, and the in-memory MNIST data path."""

import json
import math
from pathlib import Path

import pytest
import torch
from conftest import assert_files, run_cli, run_dirs
from torch.nn import functional as F

from litlab.checkpoints import load_task
from litlab.data.mnist import MNISTDataModule
from litlab.data.mnist_memory import MNISTMemoryDataModule, random_affine
from litlab.errors import LitlabError
from litlab.training import train

# tiny_mnist has 256 train images: val_fraction=0.2 -> 205 train / 51 val (odd on purpose:
# each rank must see its own samples, none repeated), 64 test.
DDP_RUN = (
    "model=mlp",
    "data=mnist_memory",
    "data.val_fraction=0.2",
    "data.batch_size=32",
    "data.download=false",
    "trainer.max_epochs=1",
    "task_name=ddp",
)


def ddp_run(log_dir: Path, data_dir: Path, *trainer: str) -> tuple[Path, str]:
    result = run_cli("train.py", *trainer, *DDP_RUN, f"data.data_dir={data_dir}", log_dir=log_dir)
    runs = run_dirs(log_dir, "ddp")
    assert len(runs) == 1, f"expected one run folder (rank 0's), got {runs}"
    return runs[0], result.stdout + result.stderr


@pytest.fixture(scope="module")
def ddp_sim_run(tiny_mnist: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One 2-process `trainer=ddp_sim` (ddp_spawn, gloo) run, shared by the DDP tests."""
    return ddp_run(tmp_path_factory.mktemp("ddp_sim"), tiny_mnist, "trainer=ddp_sim")


def evaluate_alone(ckpt: Path, split: str) -> tuple[float, float, float]:
    """(accuracy, mean loss, mean loss on the even-indexed half) of a checkpoint on the whole
    split, in this single process; the even half is what rank 0 alone would have seen."""
    model, checkpoint = load_task(ckpt)
    data = {k: v for k, v in checkpoint["litlab"]["data"].items() if k != "_target_"}
    dm = MNISTMemoryDataModule(**data)
    dm.setup()
    loader = dm.val_dataloader() if split == "val" else dm.test_dataloader()
    logits, targets = [], []
    model.eval()
    with torch.no_grad():
        for batch in loader:
            x, y = dm.to_model_input(batch)
            logits.append(model(x))
            targets.append(y)
    logits, y = torch.cat(logits), torch.cat(targets)
    right = (logits.argmax(1) == y).float()
    half = F.cross_entropy(logits[0::2], y[0::2]).item()
    return right.mean().item(), F.cross_entropy(logits, y).item(), half


def test_ddp_sim_syncs_epoch_metrics_across_ranks(ddp_sim_run: tuple[Path, str]) -> None:
    run, output = ddp_sim_run
    assert "Starting with 2 processes" in output
    metrics = json.loads((run / "metrics.json").read_text())
    best = next((run / "checkpoints").glob("epoch_*.ckpt"))
    for split in ("val", "test"):
        acc, loss, rank0_half_loss = evaluate_alone(best, split)
        # The test can fail: rank 0's own half scores differently from the whole set...
        assert rank0_half_loss != pytest.approx(loss, rel=1e-3)
        # ...yet the logged values are those of the whole set, every sample counted once.
        assert metrics[f"{split}/acc"] == pytest.approx(acc, abs=1e-6)
        assert metrics[f"{split}/loss"] == pytest.approx(loss, rel=1e-4)


def test_ddp_sim_batch_size_is_per_device_and_rank_zero_writes(ddp_sim_run) -> None:
    run, _ = ddp_sim_run
    assert_files(run, ["metrics.json", "run.json", "config.yaml", "csv/metrics.csv"])
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch_000.ckpt",
        "last.ckpt",
    ]
    leftovers = [p.name for p in run.iterdir() if "rank" in p.name or p.suffix == ".tmp"]
    assert not leftovers
    rows = (run / "csv" / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert rows[0].count("test/acc") == 1 and "train/acc" in header  # fit + test columns kept
    epoch_rows = [r.split(",") for r in rows[1:] if r.split(",")[header.index("train/acc")]]
    # 205 train images, batch 32 per device, 2 devices: ceil(103 / 32) = 4 steps per epoch
    # (one process alone would take ceil(205 / 32) = 7).
    assert int(epoch_rows[0][header.index("step")]) + 1 == math.ceil(math.ceil(205 / 2) / 32)


def test_ddp_subprocess_launcher_runs_on_cpu(ddp_sim_run, tiny_mnist: Path, tmp_path: Path) -> None:
    """`trainer=ddp` re-executes train.py per rank; on CPU it matches ddp_spawn exactly."""
    run, output = ddp_run(
        tmp_path, tiny_mnist, "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"
    )
    assert "Starting with 2 processes" in output
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch_000.ckpt",
        "last.ckpt",
    ]
    spawned = json.loads((ddp_sim_run[0] / "metrics.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("val/acc", "val/loss", "test/acc"):
        assert metrics[key] == pytest.approx(spawned[key], rel=1e-5), key
    # Known gap: the epoch train/loss of the two launchers differed by ~3% in 1 of ~5 runs
    # while val/test matched exactly; kept loose until understood.
    assert metrics["train/loss"] == pytest.approx(spawned["train/loss"], rel=0.1)


def test_bf16_mixed_on_cpu_trains_with_fp32_weights(compose_cfg, tmp_path: Path) -> None:
    cfg = compose_cfg(
        "trainer.precision=bf16-mixed",
        "trainer.max_epochs=2",
        "logger=csv",
    )
    metrics, objects = train(cfg)
    trainer, model = objects["trainer"], objects["model"]
    assert trainer.precision == "bf16-mixed"
    x = torch.randn(4, 1, 28, 28)
    with trainer.precision_plugin.forward_context():
        assert model(x).dtype == torch.bfloat16  # the run's forward really ran in bf16
    assert all(p.dtype == torch.float32 for p in model.parameters())  # fp32 master weights
    assert metrics["test/acc"] > 0.25  # 10 classes: chance is 0.1
    reloaded, _ = load_task(trainer.checkpoint_callback.best_model_path)
    assert next(reloaded.parameters()).dtype == torch.float32


# ---- torch.compile ------------------------------------------------------------------------


@pytest.mark.slow
def test_compiled_and_plain_checkpoints_load_into_each_other(compose_cfg) -> None:
    from litlab.models.classification import ClassificationTask

    cfg = compose_cfg(
        "model=mlp",
        "model.compile=true",
        "trainer.max_epochs=1",
        "+trainer.limit_train_batches=4",
        "+trainer.limit_val_batches=2",
        "test=false",
        "logger=none",
        "callbacks=none",
        "+callbacks.model_checkpoint._target_=lightning.pytorch.callbacks.ModelCheckpoint",
        "+callbacks.model_checkpoint.dirpath=${paths.output_dir}/checkpoints",
    )
    _, objects = train(cfg)
    assert objects["model"]._compiled is not None
    ckpt = objects["trainer"].checkpoint_callback.best_model_path
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    assert not any("_orig_mod" in key for key in state)  # keys as in an uncompiled model

    plain = ClassificationTask.load_from_checkpoint(ckpt, weights_only=True, compile=False)
    compiled = ClassificationTask.load_from_checkpoint(ckpt, weights_only=True, compile=True)
    assert plain._compiled is None and compiled._compiled is not None
    x = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(compiled.eval()(x), plain.eval()(x), rtol=1e-4, atol=1e-5)
    # and a plain model's weights go straight into a compiled one
    compiled.load_state_dict(plain.state_dict())


# ---- the in-memory MNIST path -------------------------------------------------------------


def both_paths(data_dir: Path, **kwargs) -> tuple[MNISTDataModule, MNISTMemoryDataModule]:
    common = {"data_dir": str(data_dir), "download": False, "batch_size": 16, **kwargs}
    torchvision_dm, memory_dm = MNISTDataModule(**common), MNISTMemoryDataModule(**common)
    torchvision_dm.setup()
    memory_dm.setup()
    return torchvision_dm, memory_dm


@pytest.mark.parametrize("split", ["val", "test"])
def test_memory_path_gives_the_same_model_input_as_torchvision(tiny_mnist: Path, split) -> None:
    slow, fast = both_paths(tiny_mnist, val_fraction=0.25, seed=3)
    loaders = getattr(slow, f"{split}_dataloader")(), getattr(fast, f"{split}_dataloader")()
    pairs = zip(*loaders, strict=True)
    n = 0
    for (x_ref, y_ref), batch in pairs:
        assert batch[0].dtype == torch.uint8  # the loader itself does no float work
        x, y = fast.to_model_input(batch)
        torch.testing.assert_close(x, x_ref, rtol=0, atol=0)
        assert torch.equal(y, y_ref)
        n += len(y)
    assert n == len(getattr(slow, f"data_{split}")) == len(getattr(fast, f"data_{split}"))
    assert len(fast.data_train) == len(slow.data_train)


def test_memory_path_shares_class_subsets_and_errors(tiny_mnist: Path, tmp_path: Path) -> None:
    slow, fast = both_paths(tiny_mnist, classes=[7, 2], samples_per_class=5)
    assert torch.equal(
        fast.data_train.targets,
        torch.tensor([slow.data_train[i][1] for i in range(len(slow.data_train))]),
    )
    assert set(fast.data_test.targets.tolist()) == {0, 1} and fast.num_classes == 2
    with pytest.raises(LitlabError, match="data.data_dir"):
        MNISTMemoryDataModule(data_dir=str(tmp_path / "nowhere"), download=False).prepare_data()


def test_random_affine_moves_pixels_but_keeps_shape_and_range() -> None:
    torch.manual_seed(0)
    images = torch.zeros(64, 1, 28, 28)
    images[:, :, 10:18, 10:18] = 255.0
    moved = random_affine(images)
    assert moved.shape == images.shape
    assert moved.min() >= 0 and moved.max() <= 255.0 + 1e-3
    changed = (moved - images).abs().flatten(1).amax(1) > 1
    assert changed.float().mean() > 0.9  # nearly every image is transformed...
    assert not torch.allclose(moved[0], moved[1])  # ...each with its own parameters
    assert moved.sum() == pytest.approx(images.sum(), rel=0.25)  # the digit stays in frame


def test_memory_path_trains_exactly_like_torchvision(compose_cfg, tiny_mnist: Path) -> None:
    """Same split, same pixels, same shuffling: the two paths give the same metrics."""
    results = []
    for data in ("mnist", "mnist_memory"):
        cfg = compose_cfg(
            "experiment=cnn_mnist",
            f"data={data}",
            f"data.data_dir={tiny_mnist}",
            "data.download=false",
            "data.batch_size=64",
            "trainer.max_epochs=1",
            "logger=none",
            "callbacks=none",
        )
        metrics, _ = train(cfg)
        results.append(metrics)
    for key in ("train/loss", "val/acc", "test/acc", "test/loss"):
        assert results[1][key] == pytest.approx(results[0][key], rel=1e-5), key
