"""notebooks/01_quickstart.ipynb runs top to bottom (nbclient) and shows its pictures."""

import os

import nbformat
from conftest import ROOT
from nbclient import NotebookClient


def test_quickstart_notebook_runs_and_shows_plots() -> None:
    notebook = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})  # fmt: skip
    os.environ.setdefault("MPLBACKEND", "Agg")
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    texts = "".join(
        str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", "")) for out in outputs
    )
    assert "test/acc" in texts and "batch accuracy" in texts
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 2  # confusion matrix and misclassified grid
