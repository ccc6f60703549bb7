"""Model-server load: requests/s and p50/p99 latency at a few concurrencies, loopback only.

Starts `litlab-serve` on a free 127.0.0.1 port (the real server, as users run it), sends
one-image requests (a base64 PNG, what a client would send) from N threads, and reports
throughput and latency per concurrency; a batch-of-32 row shows what client-side batching
buys. Baseline, measured in the same run: the eager model's forward on one sample
in-process (no HTTP), so the p50 ratio is the serving overhead. Bounded: at most
`--requests` per level and `--seconds` per level.

    python benchmarks/bench_serve.py                       # trains a tiny CNN checkpoint first
    python benchmarks/bench_serve.py --ckpt path/to/best.ckpt --concurrency 1 4 16
"""

import argparse
import base64
import contextlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, median, report, table  # noqa: E402


def tiny_checkpoint(folder: Path) -> Path:
    """The default MNIST CNN, one short epoch on synthetic images: the size is what counts."""
    cmd = [sys.executable, str(ROOT / "train.py"), "experiment=cnn_synthetic", "data.n_samples=512",
           "trainer.max_epochs=1", "logger=csv", f"hydra.run.dir={folder}", f"paths.log_dir={folder}"]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return folder / "checkpoints" / "last.ckpt"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(ckpt: Path, log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "litlab-serve"), f"ckpt_path={ckpt}", f"port={port}",
           "host=127.0.0.1", f"paths.log_dir={log_dir}"]  # fmt: skip
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit("server did not become healthy in 120 s")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):  # workers left in its session
            os.killpg(process.pid, signal.SIGKILL)


def png_b64(seed: int) -> str:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def load(url: str, body: dict, concurrency: int, max_requests: int, max_seconds: float) -> dict:
    """Send up to `max_requests` (or for `max_seconds`) from `concurrency` threads, each on
    its own keep-alive connection. http.client sends headers and body in one write; requests
    (urllib3) sends them in two, which on loopback adds ~40 ms per request (Nagle + delayed
    ACK) and would measure the client, not the server."""
    host, port = url.removeprefix("http://").split(":")
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    issued = [0]
    stop_at = time.monotonic() + max_seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                if issued[0] >= max_requests or time.monotonic() > stop_at:
                    connection.close()
                    return
                issued[0] += 1
            start = time.perf_counter()
            connection.request("POST", "/predict", body=data, headers=headers)
            reply = connection.getresponse()
            reply.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                errors[0] += reply.status != 200

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - begin
    ms = np.array(latencies) * 1000
    return {"n": len(latencies), "rps": len(latencies) / wall, "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "errors": errors[0]}  # fmt: skip


def eager_forward_ms(ckpt: Path, batch: int, repeats: int = 200) -> float:
    import torch

    from litlab.checkpoints import load_task

    model, _ = load_task(ckpt)
    model.eval()
    x = torch.randn(batch, 1, 28, 28)
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", type=Path, default=None)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=300, help="at most this many per level")
    parser.add_argument("--seconds", type=float, default=15.0, help="at most this long per level")
    parser.add_argument("--no-save", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = args.ckpt or tiny_checkpoint(Path(tmp) / "train")
        baseline = {1: eager_forward_ms(ckpt, 1), 32: eager_forward_ms(ckpt, 32, repeats=50)}
        process, url = start_server(ckpt, Path(tmp) / "serve")
        try:
            one = {"image": png_b64(0)}
            batch = {"images": [png_b64(i) for i in range(32)]}
            load(url, one, 2, 20, 10)  # warm-up
            rows = []
            for level in args.concurrency:
                r = load(url, one, level, args.requests, args.seconds)
                rows.append([1, level, r["n"], f"{r['rps']:.1f}", f"{r['rps']:.0f}", f"{r['p50']:.1f}",
                             f"{r['p99']:.1f}", f"{r['p50'] / baseline[1]:.1f}x", r["errors"]])  # fmt: skip
            r = load(url, batch, 4, max(args.requests // 4, 20), args.seconds)
            rows.append([32, 4, r["n"], f"{r['rps']:.1f}", f"{r['rps'] * 32:.0f}", f"{r['p50']:.1f}",
                         f"{r['p99']:.1f}", f"{r['p50'] / baseline[32]:.1f}x", r["errors"]])  # fmt: skip
        finally:
            stop_server(process)
    headers = ["images/request", "concurrency", "requests", "requests/s", "images/s", "p50 ms",
               "p99 ms", "p50 / eager forward", "errors"]  # fmt: skip
    notes = (
        f"Baseline (same run): eager forward in-process, median {baseline[1]:.2f} ms for 1 image, "
        f"{baseline[32]:.2f} ms for 32. Client threads run on the same machine as the server, "
        "so on few cores they compete with it for CPU; one LitServe worker, CPU."
    )
    report("Model server load (bench_serve.py)", table(headers, rows), notes, save=not args.no_save)


if __name__ == "__main__":
    main()
