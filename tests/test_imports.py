"""`import facemotion` is light: heavy dependencies load only when a path needs them (issue 17: start-up time).

Each check runs in a fresh interpreter and reads ``sys.modules``: what is imported, not how long it takes.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import facemotion

HEAVY = ("torch", "pxr", "pygltflib", "pocketsphinx", "lightning", "tensorboard", "openpyxl", "av", "silero_vad",
         "omegaconf", "dask", "distributed", "gruut")
"""Packages that take from a tenth of a second to seconds to import."""

TRAINING_AND_EXPORT = ("pxr", "pygltflib", "lightning", "tensorboard", "openpyxl", "av", "omegaconf", "dask",
                       "distributed")
"""What ``animate`` to a Live Link CSV, JSON or NPZ file must not load."""


def _loaded_after(*steps: str) -> list[set[str]]:
    """Run ``steps`` in a fresh interpreter; after each, the top-level packages of :data:`HEAVY` it has loaded."""
    script = ["import json, sys", "loaded = []"]
    for step in steps:
        script += [step, f"loaded.append(sorted(m for m in {HEAVY!r} if m in sys.modules))"]
    script.append("print(json.dumps(loaded))")
    result = subprocess.run([sys.executable, "-c", "\n".join(script)], capture_output=True, text=True, check=True)
    return [set(names) for names in json.loads(result.stdout.splitlines()[-1])]


def test_import_and_the_command_line_parser_load_nothing_heavy():
    imported, parsed = _loaded_after(
        "import facemotion",
        "from facemotion.cli import build_parser; build_parser().format_help()",  # what `facemotion --help` does
    )
    assert imported == set()
    assert parsed == set()


def test_the_speech_path_and_light_formats_load_no_torch_training_usd_or_gltf(tmp_path):
    """A whole procedural take (alignment, Silero VAD through onnxruntime, the performance) to the light formats."""
    speech = Path(__file__).parent / "fixtures" / "speech" / "arctic_a0007"
    takes = [str(tmp_path / f"take{suffix}") for suffix in (".npz", ".json", ".csv")]
    (animated,) = _loaded_after(
        "import facemotion\n"
        f"take = facemotion.animate({str(speech.with_suffix('.wav'))!r}, "
        f"transcript=open({str(speech.with_suffix('.txt'))!r}).read())\n"
        f"for path in {takes!r}: facemotion.export(take, path)"
    )
    assert "pocketsphinx" in animated  # the speech path needs it
    assert animated.isdisjoint({"torch", "silero_vad", "gruut", *TRAINING_AND_EXPORT})  # plain text: no gruut


def test_exporters_and_retargeting_load_their_format_library_when_used():
    (listed, usd, gltf) = _loaded_after(
        "import facemotion.exporters, facemotion.retarget",
        "from facemotion.exporters import export_usd",
        "from facemotion.exporters import export_gltf",
    )
    assert listed.isdisjoint({"pxr", "pygltflib"}) and "pxr" in usd and "pygltflib" in gltf


def test_every_public_name_resolves():
    for package in (facemotion, facemotion.data, facemotion.exporters):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
    assert set(facemotion.__all__) <= set(dir(facemotion))
    assert facemotion.exporters.read_npz is facemotion.read_npz  # sub-packages as attributes, as before
    with pytest.raises(AttributeError, match="no attribute 'animation_of'"):
        facemotion.animation_of


def test_mesh_formats_on_the_default_head_load_no_torch(tmp_path):
    """The exporters read the shipped head with numpy (``facemotion.face_models.rig_file``), not the torch rig."""
    takes = [str(tmp_path / f"take{suffix}") for suffix in (".usdc", ".glb")]
    (exported,) = _loaded_after(
        "import facemotion\nfrom facemotion.testing import random_animation\n"
        f"for path in {takes!r}: facemotion.export(random_animation(), path)"
    )
    assert {"pxr", "pygltflib"} <= exported and "torch" not in exported
