"""Sweeps through the real CLI: grid, failures, Optuna (resume, best params, pruning),
parallel launchers (joblib, submitit local), DDP inside a multirun; plus the search-space
parser and the per-job thread rule."""

import csv
import json
import os
from pathlib import Path

import pytest

TINY = ("experiment=mlp_synthetic", "trainer.max_epochs=1", "data.n_samples=192",
        "model.net.hidden_sizes=[32]", "callbacks=none")  # fmt: skip


def sweep_dirs(log_dir: Path, task: str = "mlp_synthetic") -> list[Path]:
    return sorted((log_dir / task / "multiruns").glob("*"))


def only_sweep(log_dir: Path, task: str = "mlp_synthetic") -> Path:
    sweeps = sweep_dirs(log_dir, task)
    assert len(sweeps) == 1, f"expected one sweep folder, got {sweeps}"
    return sweeps[0]


def read_rows(sweep: Path) -> list[dict[str, str]]:
    with (sweep / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def status(job: Path) -> dict:
    return json.loads((job / "run.json").read_text())


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, path


def test_grid_sweep_one_folder_per_job_and_summary(cli, tmp_path: Path) -> None:
    cli("train.py", "-m", *TINY, "model.optimizer.lr=0.1,0.01", "data.batch_size=32,64")
    sweep = only_sweep(tmp_path / "logs")
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name.isdigit())
    assert jobs == ["0", "1", "2", "3"]
    rows = read_rows(sweep)
    assert len(rows) == 4
    pairs = {(r["model.optimizer.lr"], r["data.batch_size"]) for r in rows}
    assert pairs == {("0.1", "32"), ("0.1", "64"), ("0.01", "32"), ("0.01", "64")}
    for row in rows:
        metrics = json.loads((sweep / row["job"] / "metrics.json").read_text())
        assert row["status"] == "finished" == status(sweep / row["job"])["status"]
        assert float(row["val/acc_best"]) == pytest.approx(metrics["val/acc_best"])
    table = [
        line
        for line in (sweep / "summary.md").read_text().splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert len(table) == 1 + 4  # header + one row per job
    assert "model.optimizer.lr" in table[0] and "data.batch_size" in table[0]
    assert_png(sweep / "summary.png")


def test_failing_jobs_are_recorded_and_the_sweep_goes_on(cli, tmp_path: Path) -> None:
    # -1: Adam refuses it inside fit; "nope": the model cannot even be built
    result = cli("train.py", "-m", *TINY, "model.optimizer.lr=0.05,-1",
                 "model.net.activation_name=relu,nope")  # fmt: skip
    sweep = only_sweep(tmp_path / "logs")
    by_job = {r["job"]: r for r in read_rows(sweep)}
    assert len(by_job) == 4
    assert [by_job[j]["status"] for j in "0123"] == ["finished", "failed", "failed", "failed"]
    assert "learning rate" in by_job["2"]["error"].lower()
    assert "unknown activation 'nope'" in (sweep / "1" / "mlp_synthetic.log").read_text()
    assert status(sweep / "1")["status"] == "failed"  # failed before training: still recorded
    assert (sweep / "0" / "metrics.json").is_file() and not (sweep / "2" / "metrics.json").exists()
    assert "job failed" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "3 failed" in (sweep / "summary.md").read_text()


def test_optuna_study_resumes_prunes_and_best_params_are_overrides(
    cli, compose_cfg, tmp_path: Path
) -> None:
    import optuna
    import yaml

    from litlab.sweeps.best import best_overrides

    log_dir = tmp_path / "logs"
    search = ("hparams_search=mlp_synthetic", "trainer.max_epochs=1", "data.n_samples=192",
              "callbacks=none")  # fmt: skip
    cli("train.py", "-m", *search, "hydra.sweeper.n_trials=2")
    first = only_sweep(log_dir)
    # the same command again adds trials to the same SQLite study; here with a pruner that
    # finds every value hopeless (below 1.5), so both new trials stop at their first epoch
    prune_all = ("hydra.sweeper.pruner._target_=optuna.pruners.ThresholdPruner",
                 "~hydra.sweeper.pruner.n_startup_trials", "hydra.sweeper.pruner.n_warmup_steps=0",
                 "+hydra.sweeper.pruner.lower=1.5")  # fmt: skip
    cli("train.py", "-m", *search, "hydra.sweeper.n_trials=2", *prune_all)
    second = [s for s in sweep_dirs(log_dir) if s != first]
    assert len(second) == 1, sweep_dirs(log_dir)
    second = second[0]

    storage = f"sqlite:///{log_dir}/mlp_synthetic/optuna.db"
    study = optuna.load_study(study_name="mlp_synthetic", storage=storage)
    State = optuna.trial.TrialState
    assert [(t.number, t.state) for t in study.trials] == [
        (0, State.COMPLETE), (1, State.COMPLETE), (2, State.PRUNED), (3, State.PRUNED)
    ]  # fmt: skip
    assert all(list(t.intermediate_values) == [0] for t in study.trials[2:])  # epoch 0
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    for trial in study.trials[:2]:  # folder N holds trial N: its value is the job's metric
        metrics = json.loads((first / str(trial.number) / "metrics.json").read_text())
        assert trial.value == pytest.approx(metrics["val/acc_best"])
    assert [(r["job"], r["status"]) for r in read_rows(second)] == [
        ("2", "pruned"),
        ("3", "pruned"),
    ]
    with (second / "optuna_trials.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 4

    best = yaml.safe_load((second / "best_params.yaml").read_text())
    assert best["best_value"] == pytest.approx(study.best_value)
    assert (best["n_trials"], best["metric"], best["best_trial"]) == (
        4,
        "val/acc_best",
        study.best_trial.number,
    )
    cfg = compose_cfg("experiment=mlp_synthetic", *best_overrides(second))
    assert cfg.model.optimizer.lr == pytest.approx(study.best_params["model.optimizer.lr"])
    assert cfg.data.batch_size == study.best_params["data.batch_size"]
    hidden = str(list(cfg.model.net.hidden_sizes)).replace(" ", "")
    assert hidden == study.best_params["model.net.hidden_sizes"]


def test_joblib_launcher_runs_jobs_side_by_side(cli, tmp_path: Path) -> None:
    cli("train.py", "-m", "hydra/launcher=parallel", *TINY, "model.optimizer.lr=0.1,0.01")
    sweep = only_sweep(tmp_path / "logs")
    assert [r["status"] for r in read_rows(sweep)] == ["finished", "finished"]
    expected = max(1, (os.cpu_count() or 1) // min(2, os.cpu_count() or 1))
    for job in ("0", "1"):
        log = (sweep / job / "mlp_synthetic.log").read_text()
        assert f"torch threads for this job: {expected} (launcher JoblibLauncher)" in log


@pytest.mark.slow
def test_submitit_local_launcher_and_slurm_config(cli, tmp_path: Path) -> None:
    cli("train.py", "-m", "hydra/launcher=submitit_local", "hydra.launcher.cpus_per_task=1",
        "hydra.launcher.timeout_min=5", *TINY, "model.optimizer.lr=0.1,0.01")  # fmt: skip
    sweep = only_sweep(tmp_path / "logs")
    assert (sweep / ".submitit").is_dir()
    assert [r["status"] for r in read_rows(sweep)] == ["finished", "finished"]
    assert "torch threads for this job: 1" in (sweep / "0" / "mlp_synthetic.log").read_text()

    import yaml

    shown = cli("train.py", "--cfg", "hydra", "--package", "hydra.launcher", "hydra/launcher=slurm",
                "hydra.launcher.partition=gpu", "hydra.launcher.gpus_per_node=2")  # fmt: skip
    launcher = yaml.safe_load(shown.stdout)  # printed as `# @package hydra.launcher`
    assert launcher["_target_"].endswith("submitit_launcher.SlurmLauncher")
    assert (launcher["partition"], launcher["gpus_per_node"], launcher["cpus_per_task"]) == (
        "gpu",
        2,
        8,
    )
    assert launcher["timeout_min"] == 240


@pytest.mark.slow
def test_ddp_sim_multirun_makes_exactly_one_sweep_folder(cli, tmp_path: Path) -> None:
    cli("train.py", "-m", "trainer=ddp_sim", *TINY, "model.optimizer.lr=0.05", "test=false",
        "+trainer.limit_train_batches=2", "+trainer.limit_val_batches=1",
        "+trainer.limit_test_batches=1", timeout=400)  # fmt: skip
    log_dir = tmp_path / "logs"
    assert len(list(log_dir.rglob("multirun.yaml"))) == 1  # no rank re-ran the sweep
    sweep = only_sweep(log_dir)
    assert [r["status"] for r in read_rows(sweep)] == ["finished"]
    metrics = json.loads((sweep / "0" / "metrics.json").read_text())
    assert 0.0 <= metrics["val/acc_best"] <= 1.0


# ---- in-process units ------------------------------------------------------------------


def test_search_space_grammar_to_optuna_distributions() -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    from litlab.sweeps.search_space import parse_search

    params = {
        "model.optimizer.lr": "tag(log, interval(1e-4, 1e-1))",
        "data.batch_size": "choice(32, 64)",
        "model.net.hidden_sizes": "choice([128], [256, 128])",
        "trainer.max_epochs": "range(2, 8, 2)",
        "model.net.dropout": "interval(0.0, 0.5)",
    }
    cli_args = ["data.batch_size=choice(16, 32)", "seed=3", "+layers=tag(int, interval(1, 4))"]
    space, fixed = parse_search(params, cli_args, OverridesParser.create())
    assert space["model.optimizer.lr"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert space["data.batch_size"] == CategoricalDistribution([16, 32])  # command line wins
    assert space["model.net.hidden_sizes"] == CategoricalDistribution(["[128]", "[256,128]"])
    assert space["trainer.max_epochs"] == IntDistribution(2, 6, step=2)
    assert space["model.net.dropout"] == FloatDistribution(0.0, 0.5)
    assert space["+layers"] == IntDistribution(1, 4)
    assert fixed == ["seed=3"]


def test_threads_per_job_divides_the_cores() -> None:
    from omegaconf import OmegaConf

    from litlab.sweeps.threads import threads_per_job

    def joblib(n: int) -> object:
        return OmegaConf.create({"n_jobs": n})

    assert threads_per_job(joblib(2), cores=8) == 4
    assert threads_per_job(joblib(-1), cores=8) == 1  # one job per core
    assert threads_per_job(joblib(16), cores=8) == 1  # never below one
    assert threads_per_job(OmegaConf.create({"cpus_per_task": 6, "n_jobs": None}), cores=64) == 6
    assert threads_per_job(OmegaConf.create({}), cores=8) is None  # basic launcher: untouched
