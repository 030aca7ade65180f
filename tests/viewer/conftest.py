"""Headless Chromium for the viewer tests: the system's ``chromium`` driven by ``run_viewer.mjs`` through
playwright-core from ``tests/browser/node_modules`` (``npm ci --prefix tests/browser``, ``make browser-deps``); a
test that needs them skips, naming what is missing."""

import json
import subprocess
from pathlib import Path

import pytest

from facemotion.testing import browser_tools_or_skip

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def run_in_chromium(tmp_path_factory):
    """``run(page_url, **config) -> results``: ``run_viewer.mjs`` on the page (its docstring lists the config keys
    and results); skips without node, Chromium or playwright-core."""
    node, chromium = browser_tools_or_skip(HERE.parent / "browser" / "node_modules", ("playwright-core",))

    def run(page_url: str, **config) -> dict:
        folder = tmp_path_factory.mktemp("chromium")
        config = {"chromium": chromium, "userDataDir": str(folder / "profile"), "pageUrl": page_url, "width": 1000,
                  "height": 800, "seekTimes": [], "play": None, "screenshot": None,
                  "output": str(folder / "results.json"), **config}
        (folder / "config.json").write_text(json.dumps(config))
        done = subprocess.run([node, str(HERE / "run_viewer.mjs"), str(folder / "config.json")], cwd=HERE,
                              check=False, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-4000:]
        return json.loads((folder / "results.json").read_text())

    return run
