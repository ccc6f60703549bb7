"""Fine-tuning: pretrained weights (litlab checkpoint or plain state_dict), head swap,
freeze-then-unfreeze with a lower backbone lr; class subsets and label budgets for MNIST."""

from pathlib import Path

import pytest
import torch
from conftest import run_dirs
from deploy_helpers import TINY_CNN, classifier_checkpoint, tiny_checkpoint, train_run

from litlab.data.mnist import MNISTDataModule
from litlab.errors import LitlabError
from litlab.finetune import load_pretrained
from litlab.models.components.cnn import CNN

FINETUNE = ["experiment=cnn_finetune", "data=synthetic_classification", "data.n_samples=256",
            "data.num_classes=5", "model.num_classes=5", "trainer.max_epochs=2",
            "callbacks.rich_progress_bar=null", *TINY_CNN,
            # last.ckpt = the final epoch (Lightning 2.6 rewrites last.ckpt only on top-k saves)
            "callbacks.model_checkpoint.monitor=null"]  # fmt: skip


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10-class tiny CNN checkpoint: fine-tuning to 5 classes must swap its head."""
    return classifier_checkpoint(tmp_path_factory.mktemp("pretrain") / "run")


def backbone(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.removeprefix("net."): v for k, v in state.items() if k.startswith("net.features")}


def test_plain_state_dict_loads_and_head_is_replaced(tmp_path: Path) -> None:
    source = CNN(channels=(4, 8), hidden=16, num_classes=5)
    path = tmp_path / "weights.pt"
    torch.save(source.state_dict(), path)
    target = CNN(channels=(4, 8), hidden=16, num_classes=10)
    head_before = target.head.weight.clone()
    report = load_pretrained(target, path)
    assert report["head_replaced"] and report["missing"] == [] and report["unexpected"] == []
    assert report["loaded"] == len(source.state_dict()) - 2  # all but head.weight/bias
    for key, value in source.features.state_dict().items():
        assert torch.equal(target.features.state_dict()[key], value)
    assert torch.equal(target.head.weight, head_before)  # fresh 10-class head kept


def test_reset_head_and_missing_keys_reported(tmp_path: Path) -> None:
    source = CNN(channels=(4, 8), hidden=16, num_classes=10)
    state = {k: v for k, v in source.state_dict().items() if not k.startswith("features.0.")}
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, tmp_path / "partial.pt")
    target = CNN(channels=(4, 8), hidden=16, num_classes=10)
    report = load_pretrained(target, tmp_path / "partial.pt", reset_head=True)
    assert report["missing"] == ["features.0.weight", "features.0.bias"]
    assert report["unexpected"] == ["extra.weight"]
    assert report["head_replaced"] and not torch.equal(target.head.weight, source.head.weight)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"a": 1}, "no state_dict of tensors"),
        ({"features.0.weight": torch.zeros(3, 1, 3, 3)}, "do not fit this network"),
        ({"other.weight": torch.zeros(2)}, "no weight in"),
    ],
)
def test_unusable_pretrained_files_fail_clearly(tmp_path: Path, payload, message: str) -> None:
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(LitlabError, match=message):
        load_pretrained(CNN(channels=(4, 8), hidden=16), tmp_path / "bad.pt")


def test_backbone_stays_frozen_while_the_head_learns(tmp_path: Path, pretrained: Path) -> None:
    """freeze_epochs >= max_epochs: a linear probe; the backbone must equal the pretrained one."""
    run = tmp_path / "run"
    train_run(run, *FINETUNE, f"pretrained={pretrained}", "finetune.freeze_epochs=2")
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    source = torch.load(pretrained, weights_only=True)["state_dict"]
    for key, value in backbone(source).items():
        assert torch.equal(backbone(last)[key], value), key
    assert last["net.head.weight"].shape == (5, 16)


def test_backbone_unfreezes_with_a_lower_lr(tmp_path: Path, pretrained: Path) -> None:
    run = tmp_path / "run"
    _, objects = train_run(run, *FINETUNE, f"pretrained={pretrained}", "finetune.freeze_epochs=1",
                           "finetune.backbone_lr_factor=0.1")  # fmt: skip
    groups = objects["trainer"].optimizers[0].param_groups
    assert len(groups) == 2 and groups[1]["lr"] == pytest.approx(0.1 * groups[0]["lr"])
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    source = torch.load(pretrained, weights_only=True)["state_dict"]
    changed = [k for k, v in backbone(source).items() if not torch.equal(backbone(last)[k], v)]
    assert changed, "the backbone never trained after unfreezing"


def test_cli_prints_keys_and_head_swap(cli, tmp_path: Path, pretrained: Path) -> None:
    result = cli("train.py", *FINETUNE, f"pretrained={pretrained}", "trainer.max_epochs=1",
                 "finetune.freeze_epochs=0", "finetune.backbone_lr_factor=0.5")  # fmt: skip
    out = result.stdout + result.stderr
    assert "missing keys: none" in out and "unexpected keys: none" in out
    assert "head re-initialised" in out and "backbone unfrozen at lr" in out
    (run,) = run_dirs(tmp_path / "logs", "cnn_finetune")
    assert (run / "metrics.json").is_file()


def test_missing_pretrained_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(LitlabError, match="checkpoint not found"):
        train_run(tmp_path / "run", *FINETUNE, f"pretrained={tmp_path}/nope.ckpt")


def test_mnist_class_subset_and_label_budget(tiny_mnist: Path) -> None:
    data = MNISTDataModule(data_dir=str(tiny_mnist), download=False, classes=[5, 6, 7, 8, 9],
                           samples_per_class=4)  # fmt: skip
    data.setup()
    train_labels = [int(data.data_train[i][1]) for i in range(len(data.data_train))]
    assert sorted(train_labels) == sorted(list(range(5)) * 4)  # 4 per class, relabelled 0..4
    assert data.num_classes == 5 and len(data.data_val) == 5  # round(4 * 0.1 / 0.9) -> 1 per class
    test_labels = {int(data.data_test[i][1]) for i in range(len(data.data_test))}
    assert test_labels <= set(range(5))
    with pytest.raises(LitlabError, match="data.classes"):
        MNISTDataModule(data_dir=str(tiny_mnist), classes=[3, 3])


def test_subset_run_checkpoint_loads_weights_only(tmp_path: Path, tiny_mnist: Path) -> None:
    """data.classes is a list: it must reach the checkpoint as a plain list, not a ListConfig."""
    ckpt = tiny_checkpoint(tmp_path / "run", "experiment=mlp_mnist", f"data.data_dir={tiny_mnist}",
                           "data.classes=[5,6,7,8,9]", "data.samples_per_class=8",
                           "model.num_classes=5", "model.net.hidden_sizes=[16]")  # fmt: skip
    checkpoint = torch.load(ckpt, weights_only=True)
    assert checkpoint["datamodule_hyper_parameters"]["classes"] == [5, 6, 7, 8, 9]
    assert checkpoint["state_dict"]["net.head.weight"].shape[0] == 5
