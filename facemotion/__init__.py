"""facemotion: speech-driven 3D facial animation.

Speech (and optionally its transcript) in, ARKit-52 blendshape curves on a real head out, exported to
USD, glTF, FBX, Live Link Face CSV, JSON or NPZ, mapped to FLAME or retargeted onto your character::

    import facemotion
    animation = facemotion.animate("speech.wav", "what is said", fps=30)
    facemotion.export(animation, "take.usda")
"""

from facemotion.animation import FaceAnimation
from facemotion.exporters import ExportOptions, export, read_json_curves, read_livelink_csv, read_npz
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.arkit_to_flame import ARKitToFLAME, fit_arkit_to_flame
from facemotion.face_models.flame import FLAME
from facemotion.face_models.names import ARKIT_52
from facemotion.motion.speech_motion import SpeechMotionModel
from facemotion.pipelines.speech_to_face import SpeechToFace, animate
from facemotion.text.phonemes import PhonemeSegment

__all__ = [
    "ARKIT_52", "ARKitRig", "ARKitToFLAME", "ExportOptions", "FLAME", "FaceAnimation", "PhonemeSegment",
    "SpeechMotionModel", "SpeechToFace", "animate", "export", "fit_arkit_to_flame", "read_json_curves",
    "read_livelink_csv", "read_npz",
]
__version__ = "0.1.0"
