"""Checks that run before a run folder exists: override types, a writable output folder.

`Preflight` is a Hydra callback (conf/hydra/default.yaml). It fails in ~0.5 s, before torch
is imported and before Hydra creates anything on disk, with one line naming the fix.
`check_devices` runs when the trainer is built. Nothing here imports torch at module level.
"""

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, ListConfig, OmegaConf

from litlab.errors import LitlabError

# Keys whose type legitimately differs from their default's (int, "auto", "0,1", [0, 1]).
POLYMORPHIC_KEYS = {"trainer.devices"}


def _kind(value: Any) -> str | None:
    """The type family an override must keep: bool, number or list (None: anything goes)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | ListConfig):
        return "a list like [1, 2]"
    return None


def _fits(value: Any, kind: str) -> bool:
    if value is None:  # `key=null` is left to the component's own validation
        return True
    if kind == "true or false":
        return isinstance(value, bool)
    if kind == "a number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, list | ListConfig)


def _literal(value: Any) -> str:
    """A value as you would type it in an override (true, 0.05, [256,128])."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    return str(value)


def _defaults_config(config: DictConfig, group_overrides: list[str]) -> DictConfig | None:
    """The config with the same group choices (experiment=..., model=...) but no value overrides."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    gh = GlobalHydra.instance()
    if not gh.is_initialized() or gh.hydra is None:
        return None
    return gh.hydra.compose_config(
        config_name=config.hydra.job.config_name,
        overrides=group_overrides,
        run_mode=RunMode.RUN,
        with_log_configuration=False,
    )


def check_override_types(config: DictConfig) -> None:
    """`data.batch_size=abc`: fail now, naming the key, the expected type and the default."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    overrides = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
    groups = set(GlobalHydra.instance().config_loader().list_groups(""))
    is_group = [("/" in o.key_or_group or o.key_or_group in groups) for o in overrides]
    values = [o for o, g in zip(overrides, is_group, strict=True) if not g and not o.is_delete()]
    if not values:
        return
    group_args = [o.input_line for o, g in zip(overrides, is_group, strict=True) if g]
    try:
        defaults = _defaults_config(config, group_args)
    except Exception:  # the guard must never be what stops a valid run
        return
    if defaults is None:
        return
    for override in values:
        key = override.key_or_group
        if key in POLYMORPHIC_KEYS or key.startswith("hydra.") or override.is_add():
            continue
        default = OmegaConf.select(defaults, key, throw_on_resolution_failure=False)
        kind = _kind(default)
        value = override.value()
        if isinstance(value, str) and "${" in value:  # an interpolation: resolved later
            continue
        if kind and not _fits(value, kind):
            shown = _literal(
                OmegaConf.to_container(default) if isinstance(default, ListConfig) else default
            )
            raise LitlabError(
                f"{key}={override.get_value_element_as_str()} has the wrong type: "
                f"{key} must be {kind}. Fix: pass e.g. {key}={shown}"
            )


def check_writable(folder: str | Path, what: str) -> None:
    """Create `folder` and write a probe file in it; fail with one line if either is refused."""
    folder = Path(folder)
    probe = folder / f".litlab-write-probe-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise LitlabError(
            f"cannot write the {what} {folder} ({err.strerror or type(err).__name__}). "
            "Fix: pass paths.log_dir=<a writable folder>"
        ) from None


class Preflight(Callback):
    """Hydra callback: validate before the run folder is created (see module docstring)."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        with _exit_on_user_error():
            check_override_types(config)
            check_writable(OmegaConf.select(config, "hydra.run.dir"), "run folder")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        with _exit_on_user_error():
            check_writable(OmegaConf.select(config, "hydra.sweep.dir"), "sweep folder")


@contextmanager
def _exit_on_user_error() -> Iterator[None]:
    """Hydra turns exceptions raised in callbacks into warnings and goes on; a bad run must
    stop here, so print the one line and exit 1 (logging is not configured yet)."""
    try:
        yield
    except LitlabError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


def _requested_devices(devices: Any) -> int | None:
    """How many devices `trainer.devices` asks for; None for "auto" / -1 (whatever is there)."""
    if isinstance(devices, list | ListConfig):
        return len(devices)
    if isinstance(devices, str):
        text = devices.strip()
        if text in ("auto", "-1"):
            return None
        if "," in text:
            return len([p for p in text.split(",") if p.strip()])
        if not text.lstrip("-").isdigit():
            raise LitlabError(
                f"trainer.devices={devices!r} is not a count. Fix: pass trainer.devices=1"
            )
        devices = int(text)
    if isinstance(devices, bool) or not isinstance(devices, int):
        raise LitlabError(
            f"trainer.devices={devices!r} is not a count. Fix: pass trainer.devices=1"
        )
    if devices == -1:
        return None
    if devices <= 0:
        raise LitlabError(f"trainer.devices must be >= 1 (or auto), got {devices}")
    return devices


def cpu_cores() -> int:
    """Cores this process may use (its affinity where the OS tells, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_devices(trainer_cfg: Any) -> None:
    """`trainer.devices` > what this machine has: one line, before Lightning spawns processes."""
    requested = _requested_devices(trainer_cfg.get("devices", 1))
    accelerator = str(trainer_cfg.get("accelerator", "auto"))
    import torch  # lazy: this module is imported by the CLI

    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        available, kind = torch.cuda.device_count(), "GPU(s)"
        if available == 0:
            raise LitlabError(
                f"trainer.accelerator={accelerator} but no GPU is visible. "
                "Fix: pass trainer=cpu (or trainer.accelerator=cpu)"
            )
    elif accelerator == "cpu" or (accelerator == "auto" and not torch.backends.mps.is_available()):
        available, kind = cpu_cores(), "CPU cores"
    else:
        return  # mps/tpu/...: Lightning's own check
    if requested is not None and requested > available:
        raise LitlabError(
            f"trainer.devices={requested} but this machine has {available} {kind}. "
            f"Fix: pass trainer.devices={available} or fewer (or trainer.devices=auto)"
        )
