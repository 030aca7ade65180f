"""Fixtures of the exporter tests."""

import pytest

from facemotion.exporters import fbx
from facemotion.exporters.fbx import BlenderNotFoundError


@pytest.fixture(scope="session")
def blender_python():
    """A Python that imports bpy; the test skips where there is none (the message says: `make blender-env`)."""
    try:
        return fbx.find_blender_python()
    except BlenderNotFoundError as error:
        pytest.skip(f"no Blender Python: {error}")
