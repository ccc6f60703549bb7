"""The sweep summary: when a multirun ends, a table and a plot of every job at the sweep root.

`summary.csv` (every override and metric), `summary.md` (the swept values, the optimised
metric, status) and `summary.png` (the optimised metric against each swept value). Reads only
what the jobs wrote (`run.json`, `metrics.json`, `.hydra/overrides.yaml`), so it works the
same for every launcher and sweeper.
"""

import csv
import logging
import math
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from litlab.sweeps.records import job_dirs, job_overrides, job_status, read_json

log = logging.getLogger(__name__)


def collect_jobs(sweep_dir: Path) -> list[dict[str, Any]]:
    """One row per job folder: job, status, overrides, metrics, wall time, error."""
    rows = []
    for job_dir in job_dirs(sweep_dir):
        record = read_json(job_dir / "run.json")
        metrics = {k: v for k, v in read_json(job_dir / "metrics.json").items() if v is not None}
        rows.append({
            "job": int(job_dir.name),
            "status": job_status(job_dir),
            "overrides": job_overrides(job_dir),
            "metrics": metrics,
            "wall_time_s": record.get("wall_time_s"),
            "error": str(record.get("error") or ""),
        })  # fmt: skip
    return rows


def swept_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Override keys whose value differs between jobs (in first-seen order)."""
    keys = dict.fromkeys(k for row in rows for k in row["overrides"])
    return [k for k in keys if len({row["overrides"].get(k) for row in rows}) > 1]


def _fmt(value: Any) -> str:
    """Short cells: 4 significant digits for floats, also inside override text."""
    if isinstance(value, str) and any(c in value for c in ".eE") and _as_number(value) is not None:
        value = float(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    override_keys = list(dict.fromkeys(k for row in rows for k in row["overrides"]))
    metric_keys = sorted({k for row in rows for k in row["metrics"]})
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["job", "status", *override_keys, *metric_keys, "wall_time_s", "error"])
        for row in rows:
            writer.writerow([
                row["job"], row["status"],
                *(row["overrides"].get(k, "") for k in override_keys),
                *(row["metrics"].get(k, "") for k in metric_keys),
                row["wall_time_s"] if row["wall_time_s"] is not None else "", row["error"],
            ])  # fmt: skip


def write_markdown(rows: list[dict[str, Any]], path: Path, metric: str, title: str) -> None:
    keys = swept_keys(rows)
    lines = [f"# Sweep {title}", ""]
    fixed = {k: v for k, v in (rows[0]["overrides"].items() if rows else []) if k not in keys}
    if fixed:
        lines += ["Common overrides: " + " ".join(f"`{k}={v}`" for k, v in fixed.items()), ""]
    counts = {
        s: sum(r["status"] == s for r in rows) for s in dict.fromkeys(r["status"] for r in rows)
    }
    lines += [f"{len(rows)} jobs: " + ", ".join(f"{n} {s}" for s, n in counts.items()), ""]
    header = ["job", "status", *keys, metric, "wall (s)", "error"]
    lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [row["job"], row["status"], *(row["overrides"].get(k, "") for k in keys),
                 row["metrics"].get(metric), row["wall_time_s"], row["error"][:80]]  # fmt: skip
        lines.append("| " + " | ".join(_fmt(c).replace("|", "\\|") for c in cells) + " |")
    path.write_text("\n".join(lines) + "\n")


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def write_plot(rows: list[dict[str, Any]], path: Path, metric: str) -> None:
    """The optimised metric against each swept value (one panel per swept key)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: no global backend switch

    keys = swept_keys(rows) or ["job"]
    cols = min(3, len(keys))
    grid = (-(-len(keys) // cols), cols)  # at most 3 panels per row
    fig = Figure(figsize=(4.2 * grid[1], 3.4 * grid[0]), layout="constrained")
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(*grid, squeeze=False).flat)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    for ax, key in zip(axes, keys, strict=False):
        texts = [str(r["job"]) if key == "job" else r["overrides"].get(key, "") for r in rows]
        ys = [r["metrics"].get(metric) for r in rows]
        numbers = [_as_number(t) for t in texts]
        numeric = all(n is not None for n in numbers)
        order = sorted(set(texts), key=lambda t: _as_number(t) if numeric else t)
        xs = numbers if numeric else [order.index(t) for t in texts]
        ok = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None and math.isfinite(y)]
        if ok:
            ax.scatter(*zip(*ok, strict=True), color="tab:blue", label="finished")
        bad = [
            x
            for x, r, y in zip(xs, rows, ys, strict=True)
            if y is None or r["status"] != "finished"
        ]
        if bad:  # on the bottom edge: they have no value (the invisible line widens the x range)
            ax.plot(bad, [min((y for _, y in ok), default=0.0)] * len(bad), alpha=0)
            ax.scatter(bad, [0.0] * len(bad), transform=ax.get_xaxis_transform(), marker="x",
                       color="tab:red", clip_on=False, label="failed/pruned")  # fmt: skip
        ax.legend(fontsize=7, loc="best")
        if numeric and min(numbers) > 0 and max(numbers) / min(numbers) >= 100:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(order)), order, rotation=20)
        ax.set_xlabel(key)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{metric} per job", fontsize=10)
    fig.savefig(path, dpi=110)


def write_summary(sweep_dir: Path, metric: str | None, title: str = "") -> list[dict[str, Any]]:
    """Write summary.csv / summary.md / summary.png at the sweep root; return the rows."""
    metric = metric or "val/loss"
    rows = collect_jobs(sweep_dir)
    write_csv(rows, sweep_dir / "summary.csv")
    write_markdown(rows, sweep_dir / "summary.md", metric, title or sweep_dir.name)
    if rows:
        write_plot(rows, sweep_dir / "summary.png", metric)
    return rows


class SweepSummary(Callback):
    """Hydra callback (conf/hydra/default.yaml): summarise the sweep when the multirun ends."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        try:
            title = f"{config.get('task_name', '')} {sweep_dir.name}".strip()
            rows = write_summary(sweep_dir, config.get("optimized_metric"), title)
        except Exception as err:  # a summary must never turn a finished sweep into a crash
            log.warning("sweep summary not written: %s: %s", type(err).__name__, err)
            return
        failed = sum(r["status"] != "finished" for r in rows)
        log.info("sweep summary (%d jobs, %d not finished): %s", len(rows), failed,
                 sweep_dir / "summary.md")  # fmt: skip
