"""Safe checkpoint loading: one clear error per failure, and no code ever runs from a file."""

from pathlib import Path

import pytest
import torch
from reliability_helpers import tiny_mlp_checkpoint, write_bad_checkpoints

from litlab.callbacks.resume_state import KEY as RNG_KEY
from litlab.checkpoints import load_checkpoint, load_task
from litlab.errors import LitlabError
from litlab.models.classification import ClassificationTask
from litlab.resume import check_resumable

EXPECTED = {
    "missing": "checkpoint not found",
    "truncated": "is corrupt or truncated (not a complete zip archive",
    "corrupt": "is corrupt or truncated",
    "empty": "is corrupt or truncated (unexpected end of file",
    "plain_state_dict": "is not a litlab checkpoint",
    "other_model": "does not fit the model its hyper-parameters describe",
    "pickle_payload": "carries pickled Python code (posix.system)",
}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ckpts")
    good = tiny_mlp_checkpoint(tmp_path_factory)
    paths = write_bad_checkpoints(root / "bad", good, marker=root / "PAYLOAD_RAN")
    return {"good": good, "marker": root / "PAYLOAD_RAN", **paths}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_bad_checkpoint_gets_its_own_clear_error(checkpoints, case: str) -> None:
    with pytest.raises(LitlabError) as caught:
        load_task(checkpoints[case])
    message = str(caught.value)
    assert EXPECTED[case] in message
    assert "Fix:" in message and "\n" not in message
    assert not checkpoints["marker"].exists(), "the pickled command ran"


def test_pickle_payload_is_refused_and_its_command_never_runs(checkpoints) -> None:
    marker = checkpoints["marker"]
    for load in (load_checkpoint, load_task):
        with pytest.raises(LitlabError, match="never runs code from a checkpoint"):
            load(checkpoints["pickle_payload"])
    with pytest.raises(LitlabError, match="pickled Python code"):
        check_resumable(str(checkpoints["pickle_payload"]), load_task(checkpoints["good"])[0])
    assert not marker.exists()
    # the payload is real: unsafe loading would have run it (proves the test can fail)
    torch.load(checkpoints["pickle_payload"], weights_only=False)
    assert marker.exists()
    marker.unlink()


def test_good_checkpoint_is_plain_data_with_rng_states(checkpoints) -> None:
    raw = torch.load(checkpoints["good"], weights_only=True)  # no allow-listing needed
    assert isinstance(raw[RNG_KEY]["torch"], torch.Tensor)
    model, _ = load_task(checkpoints["good"])
    assert isinstance(model, ClassificationTask)


def test_tampered_task_cannot_pick_an_arbitrary_callable(checkpoints, tmp_path: Path) -> None:
    checkpoint = torch.load(checkpoints["good"], weights_only=True)
    checkpoint["litlab"]["task"] = "os.system"
    torch.save(checkpoint, tmp_path / "tampered.ckpt")
    with pytest.raises(LitlabError, match="cannot rebuild it"):
        load_task(tmp_path / "tampered.ckpt")


def test_resuming_another_network_is_refused_before_lightning_loads(checkpoints) -> None:
    model, _ = load_task(checkpoints["good"])
    check_resumable(str(checkpoints["good"]), model)  # same network: fine
    other = ClassificationTask(
        net={**model.hparams.net, "hidden_sizes": [8, 8]}, optimizer=model.hparams.optimizer
    )
    with pytest.raises(LitlabError, match="saved from a different model"):
        check_resumable(str(checkpoints["good"]), other)
