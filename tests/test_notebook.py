"""docs/examples/quickstart.ipynb runs from top to bottom (so it cannot rot), on this interpreter,
offline, and its stored outputs stay small."""

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "examples" / "quickstart.ipynb"
MAX_NOTEBOOK_BYTES = 200_000


def run_notebook(path: Path, workdir: Path, kernels: Path):
    """The notebook executed in workdir by a kernel of this very interpreter (a kernelspec written
    to `kernels`, so a system-wide 'python3' kernel of another Python is never picked up), with
    this checkout's src/ first on its path."""
    import nbformat
    from nbclient import NotebookClient

    spec = kernels / "kernels" / "geobfdt-test"
    spec.mkdir(parents=True, exist_ok=True)
    python_path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "geobfdt test", "language": "python", "env": {"PYTHONPATH": python_path}}))
    os.environ["JUPYTER_PATH"] = str(kernels)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, kernel_name="geobfdt-test", timeout=300, startup_timeout=180,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return notebook


@pytest.fixture
def jupyter_path():
    before = os.environ.get("JUPYTER_PATH")
    yield
    if before is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = before


def test_quickstart_notebook_runs_and_shows_its_results(tmp_path, jupyter_path):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = run_notebook(NOTEBOOK, tmp_path, tmp_path / "jupyter")
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot shows inline"
    assert any("depth_err80_cm" in o.get("data", {}).get("text/html", "") for o in outputs), "picks with intervals"
    assert any("found_again" in o.get("data", {}).get("text/html", "") for o in outputs), "the picks a copy lost"
    assert sorted(p.name for p in (tmp_path / "quickstart_out").iterdir()) == [
        "SYN7_picks.csv", "SYN7_picks_geolog.csv", "SYN7_picks_wellcad.csv"]


def test_stored_notebook_is_small_and_clean():
    text = NOTEBOOK.read_text()
    assert len(text.encode()) < MAX_NOTEBOOK_BYTES
    notebook = json.loads(text)
    assert not [o for cell in notebook["cells"] for o in cell.get("outputs", []) if o["output_type"] == "error"]
