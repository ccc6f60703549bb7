"""What the Hydra entry points share: where conf/ is, and turning errors into one line.

Nothing here imports torch or lightning, so `--help` and `--cfg job` stay fast.
"""

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from litlab.errors import LitlabError

log = logging.getLogger("litlab")


def find_config_dir() -> str:
    """conf/ to compose from: $LITLAB_CONFIG_DIR, else the nearest conf/ above the current
    folder, else the one beside the installed package (an editable install of this repo)."""
    if env := os.environ.get("LITLAB_CONFIG_DIR"):
        return str(Path(env).resolve())
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "conf" / "train.yaml").is_file():
            return str(folder / "conf")
    return str(Path(__file__).resolve().parents[2] / "conf")


CONFIG_DIR = find_config_dir()
# Project root for ${paths.root_dir}: logs/ and data/ land beside conf/ wherever you run from.
os.environ.setdefault("LITLAB_ROOT", str(Path(CONFIG_DIR).parent))


def is_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def user_error(err: BaseException) -> str | None:
    """The one-line message for errors the user can fix; None for genuine bugs."""
    from hydra.errors import InstantiationException

    if isinstance(err, LitlabError):
        return str(err)
    cause = err  # the root of nested instantiation errors (a task that builds its network)
    while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, LitlabError):
        return str(cause)
    if type(cause).__name__ == "MissingMandatoryValue":  # a `???` key left unset
        key = getattr(cause, "full_key", None) or "a required key"
        return f"{key} is required. Fix: pass {key}=<value>"
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]
    if type(cause).__name__ == "MisconfigurationException":  # Lightning's: a bad trainer setting
        return f"{first} Fix: change the trainer.* / callbacks.* override it names"
    if isinstance(err, InstantiationException) and isinstance(cause, TypeError | ValueError):
        # e.g. `+data.foo=1`: the component refused an argument; full_key names the group
        key = str(err).rsplit("full_key:", 1)[-1].strip() if "full_key:" in str(err) else ""
        key = key or _target_group(str(err))
        return f"could not build {key}: {first}. Fix: check the {key}.* overrides"
    return None


def _target_group(message: str) -> str:
    """`model`/`data`/`trainer`/... from "Error in call to target 'litlab.models....'"."""
    target = message.split("'")[1] if message.count("'") >= 2 else ""
    for group in ("model", "data", "trainer", "callbacks", "logger"):
        if f".{group}" in target or target.startswith(f"litlab.{group}"):
            return group
    return "config"


def run_guarded(task: Callable[[DictConfig], Any], cfg: DictConfig) -> Any:
    """Run `task(cfg)`; user errors print one line and exit 1 (in a sweep: the job fails,
    the sweep goes on and returns NaN for it)."""
    try:
        return task(cfg)
    except Exception as err:
        message = user_error(err)
        if is_multirun():  # any failure ends this job only: record it, the sweep goes on
            return fail_sweep_job(err, message)
        if message is None:
            raise
        log.error("error: %s", message)
        sys.exit(1)


def fail_sweep_job(err: Exception, message: str | None) -> float:
    """One log line (traceback at DEBUG), `run.json` marked failed, NaN for the sweeper."""
    from hydra.core.hydra_config import HydraConfig

    from litlab.run_record import RunRecord, read_status

    if message is None:  # a bug or an unforeseen error: name the root cause, not Hydra's wrapper
        cause: BaseException = err
        while type(cause).__name__ == "InstantiationException" and cause.__cause__:
            cause = cause.__cause__
        message = f"{type(cause).__name__}: {(str(cause).strip().splitlines() or [''])[0]}"
    pruned = type(err).__name__ == "TrialPruned"  # Optuna stopped a hopeless trial: expected
    log.log(
        logging.INFO if pruned else logging.ERROR,
        "job %s: %s",
        "pruned" if pruned else "failed",
        message,
    )
    log.debug("traceback of the failed job", exc_info=err)
    output_dir = HydraConfig.get().runtime.output_dir
    if read_status(output_dir) in (None, "running"):  # failed before training recorded it
        RunRecord(output_dir).fail(message)
    return float("nan")


def entry_point(config_name: str, target: str) -> Callable[[], Any]:
    """The Hydra main of a litlab command: compose `conf/<config_name>.yaml`, then run
    `target` ("module:function", imported only now so `--help` stays fast) under
    `run_guarded`."""
    import hydra

    module_name, function_name = target.split(":")

    def task(cfg: DictConfig) -> Any:
        import importlib

        return run_guarded(getattr(importlib.import_module(module_name), function_name), cfg)

    task.__module__ = f"litlab.{config_name}"  # Hydra names the job (train, eval, ...) from it
    return hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name=config_name)(task)
