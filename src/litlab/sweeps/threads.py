"""Torch threads per job for parallel launchers: jobs side by side never oversubscribe the CPU.

joblib: cores // parallel jobs (loky does the same for OMP_NUM_THREADS; this also covers the
threading backend and logs it). submitit: `cpus_per_task`, because torch counts the node's
cores, not the CPUs SLURM gave the job. The basic launcher (one job at a time) is untouched.
"""

import logging
import os
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def threads_per_job(launcher: DictConfig | None, cores: int) -> int | None:
    """Torch threads for one job of `launcher`, or None to keep torch's default."""
    if not launcher:
        return None
    if launcher.get("cpus_per_task"):  # submitit (SLURM or local)
        return int(launcher.cpus_per_task)
    n_jobs = launcher.get("n_jobs")  # joblib: -1 means one job per core
    if n_jobs is None or int(n_jobs) == 1:
        return None if n_jobs is None else cores
    parallel = cores if int(n_jobs) < 0 else min(int(n_jobs), cores)
    return max(1, cores // parallel)


class ThreadsPerJob(Callback):
    """Hydra callback (conf/hydra/default.yaml): set torch's thread count when a job starts."""

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        threads = threads_per_job(config.hydra.get("launcher"), os.cpu_count() or 1)
        if threads is None:
            return
        import torch

        os.environ["OMP_NUM_THREADS"] = str(threads)  # DataLoader workers and child processes
        torch.set_num_threads(threads)
        log.info("torch threads for this job: %d (launcher %s)", threads,
                 str(config.hydra.launcher.get("_target_", "")).rsplit(".", 1)[-1])  # fmt: skip
