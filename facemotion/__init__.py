"""facemotion: speech-driven 3D facial animation.

Speech (and optionally its transcript) in, ARKit-52 blendshape curves on a real head out, exported to
USD, glTF, FBX, Live Link Face CSV, JSON or NPZ, mapped to FLAME or retargeted onto your character::

    import facemotion
    animation = facemotion.animate("speech.wav", "what is said", fps=30)
    facemotion.export(animation, "take.usda")
"""

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_PUBLIC = {
    "ARKIT_52": "facemotion.face_models.names",
    "ARKitRig": "facemotion.face_models.arkit",
    "ARKitToFLAME": "facemotion.face_models.arkit_to_flame",
    "EmotionCondition": "facemotion.expression.emotion",
    "ExportOptions": "facemotion.exporters",
    "FLAME": "facemotion.face_models.flame",
    "FaceAnimation": "facemotion.animation",
    "LearnedMotion": "facemotion.pipelines.motion",
    "PhonemeSegment": "facemotion.text.phonemes",
    "ProceduralMotion": "facemotion.pipelines.motion",
    "SpeechMotionModel": "facemotion.motion.speech_motion",
    "SpeechToFace": "facemotion.pipelines.speech_to_face",
    "animate": "facemotion.pipelines.speech_to_face",
    "export": "facemotion.exporters",
    "fit_arkit_to_flame": "facemotion.face_models.arkit_to_flame",
    "read_json_curves": "facemotion.exporters",
    "read_livelink_csv": "facemotion.exporters",
    "read_npz": "facemotion.exporters",
}
"""Public name -> the module that defines it. The modules load on first use (PEP 562), so ``import facemotion``
and ``facemotion --help`` do not pay for PyTorch, USD, glTF or the speech models."""

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is not None:
        value = getattr(import_module(module), name)
    elif not name.startswith("_"):
        try:  # a sub-package or module, e.g. facemotion.exporters, as after an eager import
            value = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs see; nothing is imported at run time
    from facemotion.animation import FaceAnimation
    from facemotion.exporters import ExportOptions, export, read_json_curves, read_livelink_csv, read_npz
    from facemotion.expression.emotion import EmotionCondition
    from facemotion.face_models.arkit import ARKitRig
    from facemotion.face_models.arkit_to_flame import ARKitToFLAME, fit_arkit_to_flame
    from facemotion.face_models.flame import FLAME
    from facemotion.face_models.names import ARKIT_52
    from facemotion.motion.speech_motion import SpeechMotionModel
    from facemotion.pipelines.motion import LearnedMotion, ProceduralMotion
    from facemotion.pipelines.speech_to_face import SpeechToFace, animate
    from facemotion.text.phonemes import PhonemeSegment
