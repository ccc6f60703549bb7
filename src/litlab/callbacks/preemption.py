"""SIGTERM / SIGUSR1 (what SLURM and most schedulers send before preemption): save, then exit.

Lightning requeues on SLURM only; this works anywhere. The handler just sets a flag; the
checkpoint is written at the end of the current batch (a consistent state), as `last.ckpt`
in the run's checkpoint folder, so `ckpt_path=last` (or that path) continues from it.
"""

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L

log = logging.getLogger(__name__)

SIGNALS = ("SIGTERM", "SIGUSR1")


class Preempted(SystemExit):
    """Raised after the checkpoint is saved; exits with 128 + signal number (143 for SIGTERM),
    the shell's convention for "stopped by a signal", so scripts can tell it from success."""

    def __init__(self, signum: int, checkpoint: str) -> None:
        super().__init__(128 + signum)
        self.signum, self.checkpoint = signum, checkpoint

    def __str__(self) -> str:
        name = signal.Signals(self.signum).name
        return f"interrupted by {name}; checkpoint saved: {self.checkpoint}"


def last_checkpoint_path(trainer: L.Trainer) -> Path:
    """Where `last.ckpt` goes: the ModelCheckpoint folder, else <run>/checkpoints."""
    callback = trainer.checkpoint_callback
    folder = getattr(callback, "dirpath", None) or Path(trainer.default_root_dir) / "checkpoints"
    return Path(folder) / "last.ckpt"


class Preemption(L.Callback):
    """Turns SIGTERM/SIGUSR1 during `fit` into: finish the batch, save `last.ckpt`, exit."""

    def __init__(self, signals: tuple[str, ...] = SIGNALS) -> None:
        self.signals = [getattr(signal, name) for name in signals if hasattr(signal, name)]
        self.received: int | None = None
        self.saved: str | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum  # nothing else: a signal handler must not log or do I/O

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit" or threading.current_thread() is not threading.main_thread():
            return
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()

    def _save(self, trainer: L.Trainer) -> str:
        path = last_checkpoint_path(trainer)
        trainer.save_checkpoint(path)
        callback = trainer.checkpoint_callback
        if callback is not None and hasattr(callback, "last_model_path"):
            callback.last_model_path = str(path)
        self.saved = str(path)
        name = signal.Signals(self.received).name if self.received else "signal"
        log.warning(
            "received %s: saved %s at epoch %d, step %d; exiting. Continue with the same "
            "overrides plus ckpt_path=last (or ckpt_path=%s)",
            name, path, trainer.current_epoch, trainer.global_step, path,
        )  # fmt: skip
        return self.saved

    def _stop_if_signalled(self, trainer: L.Trainer) -> None:
        if self.received is not None and self.saved is None:
            raise Preempted(self.received, self._save(trainer))

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any, **kwargs: Any) -> None:
        self._stop_if_signalled(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:  # a signal that came during validation
            self._stop_if_signalled(trainer)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        # Lightning itself stops mid-validation on SIGTERM: still leave a checkpoint.
        if self.received is not None and self.saved is None:
            self._save(trainer)


def preempted_exit(trainer: L.Trainer, err: SystemExit) -> SystemExit:
    """Lightning stops on SIGTERM with its own SystemExit (exit code 0) when the signal lands
    in validation or at an epoch end; report that as `Preempted` (128 + signum) once the
    Preemption callback has saved its checkpoint, so scripts never mistake it for success."""
    if isinstance(err, Preempted):
        return err
    for callback in trainer.callbacks:
        if isinstance(callback, Preemption) and callback.received and callback.saved:
            return Preempted(callback.received, callback.saved)
    return err
