"""The model server, started for real (`litlab-serve` in a subprocess on a free loopback
port) and spoken to over HTTP: answers match the eager model; bad requests get a 4xx with a
message and never take the server down."""

import base64
import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests
import torch
from conftest import ROOT
from deploy_helpers import mnist_checkpoint
from PIL import Image
from torchvision.datasets import MNIST

from litlab.checkpoints import load_task
from litlab.data.preprocess import normalize_pixels


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory, tiny_mnist: Path) -> Path:
    return mnist_checkpoint(tmp_path_factory.mktemp("serve") / "run", tiny_mnist)


@pytest.fixture(scope="module")
def server(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, logs = free_port(), tmp_path_factory.mktemp("serve_logs")
    script = Path(sys.executable).parent / "litlab-serve"
    command = [str(script), f"ckpt_path={ckpt}", f"port={port}", f"paths.log_dir={logs}",
               "max_payload_mb=0.5", "max_samples=16"]  # fmt: skip
    log_file = (logs / "server.out").open("w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, (logs / "server.out").read_text()[-3000:]
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("server did not become healthy in 120 s")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):  # anything left in its session
                os.killpg(process.pid, signal.SIGKILL)
            log_file.close()
    assert process.returncode == 0, (logs / "server.out").read_text()[-3000:]


@pytest.fixture(scope="module")
def pixels(tiny_mnist: Path) -> np.ndarray:
    return MNIST(str(tiny_mnist), train=False).data[:6].numpy()


def png_b64(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def eager_probs(ckpt: Path, x: torch.Tensor) -> np.ndarray:
    model, _ = load_task(ckpt)
    with torch.no_grad():
        return model.eval()(x).softmax(dim=1).numpy()


def test_health_and_model_info(server: str) -> None:
    assert requests.get(f"{server}/health", timeout=5).text == "ok"
    model = requests.get(f"{server}/info", timeout=5).json()["model"]
    assert model["task"].endswith("ClassificationTask") and model["num_classes"] == 10
    assert model["input"] == {"shape": [1, 28, 28], "mean": 0.1307, "std": 0.3081}


def test_every_input_form_matches_the_eager_model(
    server: str, ckpt: Path, pixels: np.ndarray
) -> None:
    expected = eager_probs(
        ckpt, normalize_pixels(torch.from_numpy(pixels), 0.1307, 0.3081)[:, None]
    )
    requests_and_rows = [
        ({"inputs": pixels.tolist(), "dtype": "uint8"}, slice(None)),  # batch of raw pixels
        ({"inputs": pixels[0].tolist(), "dtype": "uint8"}, slice(0, 1)),  # one (H, W) image
        ({"image": png_b64(pixels[2])}, slice(2, 3)),
        ({"images": [png_b64(p) for p in pixels]}, slice(None)),
    ]
    for body, rows in requests_and_rows:
        reply = requests.post(f"{server}/predict", json=body, timeout=30)
        assert reply.status_code == 200, reply.text
        got = reply.json()
        np.testing.assert_allclose(got["probabilities"], expected[rows], atol=1e-5)
        assert got["predictions"] == expected[rows].argmax(axis=1).tolist()
    floats = normalize_pixels(torch.from_numpy(pixels[:2]), 0.1307, 0.3081)[:, None]
    reply = requests.post(f"{server}/predict", json={"inputs": floats.tolist()}, timeout=30)
    np.testing.assert_allclose(reply.json()["probabilities"], expected[:2], atol=1e-5)


def post_raw(url: str, data: bytes | str) -> requests.Response:
    return requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=30)


BAD_REQUESTS = [
    ("malformed json", lambda u: post_raw(u, "{not json"), 422, "JSON decode error"),
    ("empty body", lambda u: post_raw(u, b""), 422, "Field required"),
    ("a list, not an object", lambda u: requests.post(u, json=[1, 2]), 422, "valid dictionary"),
    ("unknown field", lambda u: requests.post(u, json={"pixels": [1]}), 422, "Extra inputs"),
    ("nothing to predict", lambda u: requests.post(u, json={}), 422, "exactly one of"),
    ("ragged lists", lambda u: requests.post(u, json={"inputs": [[1, 2], [3]]}), 422, "rectangular"),
    ("strings", lambda u: requests.post(u, json={"inputs": [["a"] * 28] * 28}), 422, "numbers"),
    ("wrong shape", lambda u: requests.post(u, json={"inputs": np.zeros((2, 5)).tolist()}), 422, "expects (1, 28, 28)"),
    ("unknown dtype", lambda u: requests.post(u, json={"inputs": [[0.0]], "dtype": "int64"}), 422, "float32' or 'uint8"),
    ("uint8 out of range", lambda u: requests.post(u, json={"inputs": [[300] * 28] * 28, "dtype": "uint8"}), 422, "0..255"),
    ("NaN", lambda u: post_raw(u, '{"inputs": [[NaN]]}'), 422, "NaN"),
    ("bad base64", lambda u: requests.post(u, json={"image": "!!!"}), 422, "base64"),
    ("not an image", lambda u: requests.post(u, json={"image": base64.b64encode(b"hi").decode()}), 422, "PNG/JPEG"),
    ("wrong image size", lambda u: requests.post(u, json={"image": png_b64(np.zeros((40, 40), np.uint8))}), 422, "28x28"),
    ("too many samples", lambda u: requests.post(u, json={"inputs": np.zeros((17, 28, 28)).tolist()}), 413, "limit is 16"),
    ("oversized payload", lambda u: post_raw(u, b"[" + b"0," * 400_000 + b"0]"), 413, "too large"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "send", "status", "message"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
def test_bad_requests_get_a_4xx_with_a_message(
    server: str, case, send, status: int, message: str
) -> None:
    reply = send(f"{server}/predict")
    assert reply.status_code == status, reply.text
    assert message in reply.text


def test_server_survives_the_bad_requests(server: str, pixels: np.ndarray) -> None:
    for _, send, _, _ in BAD_REQUESTS:
        send(f"{server}/predict")
    assert requests.get(f"{server}/health", timeout=5).status_code == 200
    reply = requests.post(f"{server}/predict", json={"image": png_b64(pixels[0])}, timeout=30)
    assert reply.status_code == 200 and len(reply.json()["predictions"]) == 1


def test_regression_api_returns_values(tmp_path: Path) -> None:
    """The same LitAPI the server runs, called in-process on a regression checkpoint."""
    from deploy_helpers import regression_checkpoint

    from litlab.serving import LitlabAPI, PredictRequest

    ckpt = regression_checkpoint(tmp_path / "run")
    api = LitlabAPI(str(ckpt))
    api.setup("cpu")
    x = np.random.default_rng(0).normal(size=(3, 8))
    reply = api.encode_response(api.predict(api.decode_request(PredictRequest(inputs=x.tolist()))))
    model, _ = load_task(ckpt)
    with torch.no_grad():
        expected = model.eval()(torch.tensor(x, dtype=torch.float32)).tolist()
    assert reply["values"] == pytest.approx(expected, abs=1e-5)


def test_server_refuses_a_missing_checkpoint_before_starting(tmp_path: Path) -> None:
    from litlab.errors import LitlabError
    from litlab.serving import build_server

    with pytest.raises(LitlabError, match="checkpoint not found"):
        build_server(str(tmp_path / "nope.ckpt"))
