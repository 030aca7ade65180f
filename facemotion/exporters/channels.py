"""Animation channels onto a mesh's blendshapes: the one mapping every mesh exporter writes."""

import numpy as np

from facemotion.animation import FaceAnimation
from facemotion.face_models.base import BlendshapeMesh


def mesh_weights(animation: FaceAnimation, mesh: BlendshapeMesh) -> np.ndarray:
    """The animation's weights in the mesh's blendshape order, matched by name.

    Args:
        animation: weights (T, C) float32 in [0, 1] on ``animation.channel_names``.
        mesh: a head with K blendshapes named ``mesh.names``.

    Returns:
        (T, K) float32; a blendshape the animation has no channel for gets weight 0.

    Raises:
        ValueError: for an animation without frames, or channels the mesh has no blendshape for
            (named in the message).
    """
    if animation.n_frames == 0:
        raise ValueError("the animation has no frames")
    missing = [name for name in animation.channel_names if name not in mesh.names]
    if missing:
        raise ValueError(f"the mesh has no blendshapes for the animation channels {missing}")
    weights = np.zeros((animation.n_frames, len(mesh.names)), np.float32)
    weights[:, [mesh.names.index(name) for name in animation.channel_names]] = animation.weights
    return weights
