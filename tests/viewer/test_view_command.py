"""`facemotion view`: bad input exits 2 with one line; the server answers the page, the state and its buffers."""

import json
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

from facemotion.cli import main
from facemotion.exporters import export
from facemotion.exporters.gltf import export_gltf
from facemotion.testing import grid_mesh, random_animation
from facemotion.viewer.data import viewer_data
from facemotion.viewer.server import ViewerServer


@pytest.fixture
def take_file(tmp_path):
    return export(random_animation(frames=4), tmp_path / "take.npz")


@pytest.mark.parametrize("arguments, message", [
    (["missing.npz"], "NPZ take not found"),
    (["corrupt.npz"], "not a facemotion take"),
    (["corrupt.glb"], "cannot read a take from"),
    (["take.npz", "--audio", "missing.wav"], "audio file not found"),
    (["take.npz", "--labels", "a", "b"], "--labels needs --compare"),
    (["take.npz", "--mapping", "arkit"], "--mapping needs --rig"),
    (["take.npz", "--rig", "corrupt.glb"], "not a GLB file"),
    (["take.npz", "--port", "70000"], "--port must be in"),
])
def test_bad_input_exits_2_with_one_line(take_file, arguments, message, capsys):
    folder = take_file.parent
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04 broken")
    (folder / "corrupt.glb").write_bytes(b"nonsense")
    code = main(["view", *[str(folder / a) if a.endswith((".npz", ".glb", ".wav")) else a for a in arguments],
                 "--no-browser"])
    error = capsys.readouterr().err
    assert code == 2 and message in error and len(error.strip().splitlines()) == 1


def test_a_port_in_use_exits_2_with_one_line(take_file, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code = main(["view", str(take_file), "--port", str(taken.getsockname()[1]), "--no-browser"])
    error = capsys.readouterr().err
    assert code == 2 and "cannot serve on 127.0.0.1:" in error and len(error.strip().splitlines()) == 1


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_the_server_answers_the_page_the_state_and_its_buffers():
    data = viewer_data(random_animation(frames=4))
    server = ViewerServer(data)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert b"renderServed" in fetch(server.url)
        assert fetch(server.url + "viewer.js").startswith(b"var ")  # the bundle
        state = json.loads(fetch(server.url + "state.json"))
        assert state["audio"] is None
        assert fetch(server.url + f"buffers/{state['character']['$buffer']}") == data.character
        weights = fetch(server.url + f"buffers/{state['takes'][0]['weights']['$buffer']}")
        np.testing.assert_array_equal(np.frombuffer(weights, "<f4"), np.frombuffer(data.takes[0]["weights"], "<f4"))
        with pytest.raises(urllib.error.HTTPError, match="404"):
            fetch(server.url + "../setup.cfg")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_glb_take_is_served_on_its_own_mesh_until_ctrl_c(tmp_path):
    names = ("JawOpen", "smile")
    take = random_animation(names, frames=5)
    glb = export_gltf(take, tmp_path / "take.glb", grid_mesh(names))
    server = subprocess.Popen([sys.executable, "-m", "facemotion", "view", str(glb), "--no-browser"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = line.split("viewer at ")[1].split()[0]
        state = json.loads(fetch(url + "state.json"))
        assert state["takes"][0]["name"] == "take" and state["takes"][0]["channels"] == list(names)
        assert fetch(url + f"buffers/{state['character']['$buffer']}") == glb.read_bytes()
        weights = fetch(url + f"buffers/{state['takes'][0]['weights']['$buffer']}")
        np.testing.assert_array_equal(np.frombuffer(weights, "<f4").reshape(5, 2), take.weights)
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
