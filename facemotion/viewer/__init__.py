"""See and hear a take: a three.js viewer of the head (or a glTF character) with the speech, curves and phonemes.

- :class:`Viewer` (:mod:`facemotion.viewer.widget`): the Jupyter widget; a
  :class:`~facemotion.animation.FaceAnimation` shows itself with it in a notebook. Needs the ``notebooks`` extra.
- :class:`ViewerServer` (:mod:`facemotion.viewer.server`): the same page from a local web server, ``facemotion view``.
- :func:`viewer_data` (:mod:`facemotion.viewer.data`): what both show; :func:`read_gltf_take`
  (:mod:`facemotion.viewer.gltf_take`): a take read back from a ``.glb``.

The page is ``static/viewer.js``, built from ``viewer/src`` by ``make viewer`` (npm, esbuild); three.js is bundled
inside it (MIT, ``static/three.LICENSE``), so nothing is fetched from the network.
"""

from importlib import import_module

_PUBLIC = {
    "Viewer": "facemotion.viewer.widget",
    "ViewerData": "facemotion.viewer.data",
    "viewer_data": "facemotion.viewer.data",
    "read_gltf_take": "facemotion.viewer.gltf_take",
    "ViewerServer": "facemotion.viewer.server",
}
"""Public name -> its module, loaded on first use (PEP 562): anywidget only for :class:`Viewer`."""

__all__ = ["Viewer", "ViewerData", "ViewerServer", "read_gltf_take", "viewer_data"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value
