"""The committed viewer bundle is the build of viewer/src: esbuild rebuilds it byte for byte (needs node and
``npm ci --prefix viewer``, which ``make test`` runs; skips without them)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "facemotion" / "viewer" / "static"


def test_the_committed_bundle_is_built_from_the_sources(tmp_path):
    node = shutil.which("node")
    if node is None or not (ROOT / "viewer" / "node_modules" / "esbuild").is_dir():
        pytest.skip("node or viewer/node_modules missing: make viewer")
    build = subprocess.run([node, str(ROOT / "viewer" / "build.mjs"), str(tmp_path)], capture_output=True, text=True,
                           timeout=120, check=False)
    assert build.returncode == 0, build.stderr
    for name in ("viewer.js", "three.LICENSE"):
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), f"{name} is stale: run make viewer"
    bundle = (STATIC / "viewer.js").read_text()
    assert "https://" not in bundle and "import(" not in bundle  # nothing loaded from elsewhere at run time
    assert "Three.js Authors" in bundle and "SPDX-License-Identifier: MIT" in bundle  # the licence notice, kept
