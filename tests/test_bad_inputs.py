"""Bad input matrix: every row is a real `python train.py|eval.py ...` that must fail with one
clear message naming the fix, a non-zero exit, no Python traceback, and no run left behind
that claims to have finished.

Rows run once per module, two at a time (most fail in < 1 s, before torch is imported).
"""

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest
import torch
from conftest import run_cli
from reliability_helpers import tiny_mlp_checkpoint, write_bad_checkpoints


class Row(NamedTuple):
    id: str
    script: str
    args: tuple[str, ...]
    expect: tuple[str, ...]  # substrings of the output, the fix among them
    log_dir: str | None = None  # None: a fresh folder per row


ROWS = [
    # Hydra's own messages: one block that names the key and lists the valid options
    Row("unknown_experiment", "train.py", ("experiment=nope",),
        ("Could not find 'experiment/nope'", "Available options in 'experiment'", "mlp_synthetic")),
    Row("unknown_group_option", "train.py", ("model=transformer",),
        ("Could not find 'model/transformer'", "Available options in 'model'", "mlp")),
    Row("misspelt_key", "train.py", ("data.batch_sze=8",),
        ("Could not override 'data.batch_sze'", "Key 'batch_sze' is not in struct")),
    # litlab preflight, before anything is written
    Row("wrong_type_int", "train.py", ("data.batch_size=abc",),
        ("data.batch_size must be a number", "Fix: pass e.g. data.batch_size=64")),
    Row("wrong_type_epochs", "train.py", ("trainer.max_epochs=many",),
        ("trainer.max_epochs must be a number", "Fix: pass e.g. trainer.max_epochs=3")),
    Row("wrong_type_list", "train.py", ("model.net.hidden_sizes=64",),
        ("model.net.hidden_sizes must be a list", "Fix: pass e.g. model.net.hidden_sizes=[256,128]")),
    Row("wrong_type_bool", "train.py", ("test=yes",), ("test must be true or false", "test=true")),
    Row("unwritable_log_dir", "train.py", (),
        ("cannot write the run folder", "Fix: pass paths.log_dir=<a writable folder>"),
        log_dir="{tmp}/a_file/logs"),
    # component validation
    Row("zero_batch_size", "train.py", ("data.batch_size=0",),
        ("data.batch_size must be a positive integer, got 0",)),
    Row("negative_n_samples", "train.py", ("data.n_samples=-5",),
        ("data.n_samples must be a positive integer, got -5",)),
    Row("unknown_argument", "train.py", ("+data.colour=red",),
        ("unexpected keyword argument 'colour'", "Fix: check the data.* overrides")),
    Row("unknown_choice_inside_model", "train.py", ("model.net.activation_name=nope",),
        ("could not build model: unknown activation 'nope'; choose one of", "Fix: check the model.*")),
    Row("missing_data_dir", "train.py",
        ("data=mnist", "data.data_dir={tmp}/nowhere", "data.download=false"),
        ("MNIST not found in", "Fix: pass data.data_dir=")),
    Row("devices_over_available", "train.py", ("trainer.accelerator=cpu", "trainer.devices=64"),
        ("trainer.devices=64 but this machine has", "Fix: pass trainer.devices=")),
    Row("negative_devices", "train.py", ("trainer.devices=-3",), ("trainer.devices must be >= 1",)),
    # checkpoints given to eval.py
    Row("eval_no_ckpt_path", "eval.py", (), ("ckpt_path is required", "Fix: pass ckpt_path=")),
    Row("eval_missing_ckpt", "eval.py", ("ckpt_path={bad}/does_not_exist.ckpt",),
        ("checkpoint not found", "Fix: pass ckpt_path=")),
    Row("eval_truncated_ckpt", "eval.py", ("ckpt_path={bad}/truncated.ckpt",),
        ("is corrupt or truncated", "Fix: use another checkpoint")),
    Row("eval_plain_state_dict", "eval.py", ("ckpt_path={bad}/plain_state_dict.ckpt",),
        ("is not a litlab checkpoint", "Fix: pass a .ckpt written by python train.py")),
    Row("eval_other_model", "eval.py", ("ckpt_path={bad}/other_model.ckpt",),
        ("does not fit the model", "Fix: pass ckpt_path=")),
    Row("eval_pickle_payload", "eval.py", ("ckpt_path={bad}/pickle_payload.ckpt",),
        ("carries pickled Python code (posix.system)", "never runs code from a checkpoint")),
    # checkpoints given to train.py to resume
    Row("resume_pickle_payload", "train.py", ("ckpt_path={bad}/pickle_payload.ckpt",),
        ("carries pickled Python code",)),
    Row("resume_other_network", "train.py", ("experiment=cnn_synthetic", "ckpt_path={good}"),
        ("was saved from a different model", "Fix: resume with the same model/experiment")),
    Row("resume_last_without_runs", "train.py", ("ckpt_path=last",),
        ("ckpt_path=last: no run of task_name=train", "Fix: train once without ckpt_path")),
]  # fmt: skip


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """{row id: (CompletedProcess, log_dir)} for every row, plus the payload marker."""
    tmp = tmp_path_factory.mktemp("bad_inputs")
    good = tiny_mlp_checkpoint(tmp_path_factory)
    marker = tmp / "PAYLOAD_RAN"
    write_bad_checkpoints(tmp / "bad", good, marker)
    (tmp / "a_file").write_text("a file, not a folder")
    fill = {"tmp": tmp, "bad": tmp / "bad", "good": good}

    def run(row: Row) -> tuple[subprocess.CompletedProcess, Path]:
        log_dir = Path((row.log_dir or f"{{tmp}}/logs_{row.id}").format(**fill))
        args = [arg.format(**fill) for arg in row.args]
        start = time.monotonic()
        result = run_cli(row.script, *args, log_dir=log_dir, check=False, timeout=180)
        print(f"{row.id}: exit {result.returncode} in {time.monotonic() - start:.1f} s")
        return result, log_dir

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip([r.id for r in ROWS], pool.map(run, ROWS), strict=True))
    return {**results, "marker": marker}


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_input_fails_cleanly_with_the_fix(outcomes, row: Row) -> None:
    if row.id == "devices_over_available" and torch.cuda.is_available():
        pytest.skip("accelerator=cpu check; the row is about CPU cores")
    result, log_dir = outcomes[row.id]
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "Traceback" not in output, output[-3000:]
    for text in row.expect:
        assert text in output, f"{text!r} not in:\n{output[-2000:]}"
    # nothing half-written claims to be a finished run
    for record in log_dir.rglob("run.json"):
        assert json.loads(record.read_text())["status"] == "failed", record
    assert not list(log_dir.rglob("metrics.json"))
    assert not outcomes["marker"].exists(), "a checkpoint's pickled command ran"


def test_preflight_rejects_before_anything_is_written(outcomes) -> None:
    """Type errors and an unwritable log_dir fail before Hydra creates a run folder."""
    for row_id in ("wrong_type_int", "wrong_type_epochs", "wrong_type_list", "wrong_type_bool"):
        _, log_dir = outcomes[row_id]
        assert not log_dir.exists() or not any(log_dir.rglob("*")), row_id


def test_failed_runs_record_why(outcomes) -> None:
    """Rows that got as far as a run folder leave run.json status=failed with the message."""
    _, log_dir = outcomes["zero_batch_size"]
    (record_path,) = log_dir.rglob("run.json")
    record = json.loads(record_path.read_text())
    assert record["status"] == "failed"
    assert "data.batch_size must be a positive integer" in record["error"]
