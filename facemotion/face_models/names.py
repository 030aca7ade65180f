"""ARKit-52 blendshape names in Apple's order.

Source: the order of ``ARFaceAnchor.BlendShapeLocation`` in Apple's ARKit documentation. "Left" is the
subject's left. Many tools (BEAT, mediapipe) use the first 51 (no ``tongueOut``).
"""

ARKIT_52: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
"""The 52 ARKit blendshape names, Apple's order."""

ARKIT_51: tuple[str, ...] = ARKIT_52[:51]
"""The 51 names without ``tongueOut`` used by BEAT, mediapipe and others."""

ARKIT_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_52)}
"""Channel index of each ARKit name in :data:`ARKIT_52`."""
