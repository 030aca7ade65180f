"""A take displayed in a notebook: executed by nbclient with the widget state stored, then the saved output rendered
in headless Chromium by the module the notebook carries (no kernel, nothing fetched from the network)."""

import functools
import json
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
TAKE = """\
from dataclasses import replace
import numpy as np
from facemotion.testing import random_animation
take = random_animation(frames=24, fps=12.0, seed=5)
take = replace(take, head_rotation=np.linspace(-10, 10, 72, dtype=np.float32).reshape(24, 3))
take"""
"""The notebook's cell: a 2-second take with a turning head, shown as the cell's result."""


def the_take():
    """The take the cell makes."""
    from dataclasses import replace

    from facemotion.testing import random_animation

    take = random_animation(frames=24, fps=12.0, seed=5)
    return replace(take, head_rotation=np.linspace(-10, 10, 72, dtype=np.float32).reshape(24, 3))


@pytest.fixture(scope="module")
def notebook():
    """The executed notebook, widget state stored in its metadata (as JupyterLab saves it)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TAKE)])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True).execute()
    return notebook


@pytest.fixture(scope="module")
def page(notebook, tmp_path_factory):
    """http://127.0.0.1:PORT/notebook_output.html showing the cell's saved widget output."""
    (output,) = notebook.cells[0].outputs
    model_id = output["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    saved = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"][model_id]
    folder = tmp_path_factory.mktemp("notebook_output")
    state = dict(saved["state"])
    (folder / "widget.mjs").write_text(state.pop("_esm"))
    (folder / "saved.json").write_text(json.dumps({"state": state, "buffers": saved["buffers"]}))
    shutil.copyfile(HERE / "notebook_output.html", folder / "notebook_output.html")

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    Handler.extensions_map = {**Handler.extensions_map, ".mjs": "text/javascript"}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/notebook_output.html"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_the_output_is_the_viewer_widget_with_a_summary(notebook):
    (output,) = notebook.cells[0].outputs
    assert output["data"]["text/plain"] == "FaceAnimation: 24 frames at 12 fps (2.00 s), 52 channels, 0 phonemes"
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    view = state[output["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert view["model_module"] == "anywidget"
    assert {tuple(buffer["path"]) for buffer in view["buffers"]} >= {("character",), ("takes", 0, "weights")}
    assert "import(" not in view["state"]["_esm"] and "https://" not in view["state"]["_esm"]  # nothing fetched


def test_the_saved_output_renders_the_take(page, run_in_chromium):
    results = run_in_chromium(page, seekTimes=[0.55, 1.2345])
    assert not results["info"]["audio"]  # no speech: the viewer's own clock
    take = the_take()
    frames = np.arange(take.n_frames) / take.fps
    for state in results["seeks"]:
        assert state["frameTime"] == state["clockTime"]
        influences = state["poses"][0]["influences"]
        expected = [np.interp(state["frameTime"], frames, take.weights[:, c]) for c in range(52)]
        np.testing.assert_allclose([influences[name] for name in take.channel_names], expected, atol=1e-4)
    assert not [line for line in results["console"] if line.startswith(("error", "pageerror"))]
