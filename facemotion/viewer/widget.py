"""The viewer as a Jupyter widget (anywidget: JupyterLab, Notebook 7, VS Code), and the notebook display of a take.

The widget's front end is ``static/viewer.js``, built from ``viewer/src`` (three.js inside, so nothing is fetched
at run time); its state is :class:`facemotion.viewer.data.ViewerData`, synced once (the heads' GLB, about 5.6 MB for
the default head, and the speech as WAV travel to the browser with it). Needs the ``notebooks`` extra
(``pip install facemotion[notebooks]``: anywidget, JupyterLab).
"""

from pathlib import Path

import traitlets

from facemotion.viewer.data import viewer_data

try:
    import anywidget
except ModuleNotFoundError as error:  # the core install: say which extra brings it
    raise ModuleNotFoundError("the notebook viewer needs anywidget: pip install 'facemotion[notebooks]'",
                              name=error.name) from None

BUNDLE = Path(__file__).resolve().parent / "static" / "viewer.js"
"""The viewer's JavaScript module (ESM, minified, three.js inside; its licence in ``static/three.LICENSE``)."""


class Viewer(anywidget.AnyWidget):
    """One take, or up to four side by side, on the default head or a glTF character, with their speech.

    Play/pause and a scrub bar; the curves of ``channels`` and the word and phoneme tracks drawn under the heads
    with a cursor (click or drag there to seek); drag a head to turn the camera, scroll to zoom. The speech's audio
    element is the clock: the heads show the frame of ``audio.currentTime``, interpolated linearly between frames.

    Example::

        from facemotion.viewer import Viewer
        Viewer(procedural, learned, labels=["procedural", "learned"])

    Args:
        *takes: 1 to 4 :class:`~facemotion.animation.FaceAnimation` takes.
        **options: ``labels``, ``audio``, ``character``, ``mapping``, ``channels`` as
            :func:`facemotion.viewer.data.viewer_data` takes them.

    Attributes:
        channels: the curves drawn (names of the first take's channels); assign a list to draw others.

    Raises:
        ValueError, FileNotFoundError, TypeError: as :func:`~facemotion.viewer.data.viewer_data`.
    """

    _esm = BUNDLE
    takes = traitlets.List(traitlets.Dict()).tag(sync=True)
    character = traitlets.Bytes().tag(sync=True)
    audio = traitlets.Bytes(allow_none=True, default_value=None).tag(sync=True)
    channels = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, *takes, **options) -> None:
        data = viewer_data(takes, **options)
        self._channel_names = data.takes[0]["channels"]
        super().__init__(**data.state())

    @traitlets.validate("channels")
    def _check_channels(self, proposal: dict) -> list[str]:
        names = proposal["value"]
        known = getattr(self, "_channel_names", names)
        unknown = [name for name in names if name not in known]
        if unknown:
            raise traitlets.TraitError(f"no channels {unknown} in the first take; its channels are {known}")
        return names
