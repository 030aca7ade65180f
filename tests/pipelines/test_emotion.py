"""The learned default with an emotion: the FACS recipe shows on the upper face and cheeks, the words stay."""

import numpy as np
import pytest

from facemotion.face_models.names import ARKIT_INDEX
from facemotion.pipelines.speech_to_face import animate

EMOTIONS = ("happy", "sad", "neutral")


@pytest.fixture(scope="module")
def happy_sad_neutral(speech_clips):
    path, text = next((p, t) for p, t in speech_clips.items() if p.name == "arctic_a0007.wav")
    return [
        animate(path, text, motion="learned", emotion=emotion, intensity=float(emotion != "neutral"),
                performance=None).weights  # the emotion's own channels, without the performance's brows and blinks
        for emotion in EMOTIONS
    ]


@pytest.fixture(scope="module")
def happy_and_sad(happy_sad_neutral):
    return happy_sad_neutral[:2]


def channel(weights, *names):
    return weights[:, [ARKIT_INDEX[n] for n in names]].mean()


def test_happy_smiles_and_sad_frowns_with_raised_inner_brows(happy_and_sad):
    happy, sad = happy_and_sad
    assert channel(happy, "mouthSmileLeft", "mouthSmileRight") > channel(sad, "mouthSmileLeft", "mouthSmileRight") + 0.2
    assert (
        channel(happy, "cheekSquintLeft", "cheekSquintRight")
        > channel(sad, "cheekSquintLeft", "cheekSquintRight") + 0.2
    )
    assert channel(sad, "mouthFrownLeft", "mouthFrownRight") > channel(happy, "mouthFrownLeft", "mouthFrownRight") + 0.2
    assert channel(sad, "browInnerUp") > channel(happy, "browInnerUp") + 0.2


@pytest.mark.parametrize("emotion", ["sad", "neutral"])
def test_emotion_keeps_the_speech_content(happy_sad_neutral, emotion):
    happy, other = happy_sad_neutral[0], happy_sad_neutral[EMOTIONS.index(emotion)]
    jaw = ARKIT_INDEX["jawOpen"]
    assert np.abs(happy[:, jaw] - other[:, jaw]).max() <= 0.05
    assert happy[:, jaw].max() > 0.1  # the mouth still speaks


def test_neutral_shows_no_emotion_channels(happy_sad_neutral):
    """Neutral is no expression: the channels the FACS recipes move and the capture never does stay at rest."""
    neutral = happy_sad_neutral[EMOTIONS.index("neutral")]
    recipe_only = ["browInnerUp", "browDownLeft", "cheekSquintLeft", "eyeSquintLeft", "noseSneerLeft", "eyeWideLeft"]
    moved = neutral[:, [ARKIT_INDEX[n] for n in recipe_only]]
    assert moved.max() < 0.1 and moved.mean() < 0.02
    assert channel(neutral, "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight") < 0.02


def test_neutral_takes_no_intensity(speech_clips):
    with pytest.raises(ValueError, match="neutral has no intensity"):
        animate(next(iter(speech_clips)), motion="learned", emotion="neutral", intensity=1.0)


def test_procedural_motion_lays_the_emotion_recipe_over_the_same_words(speech_clips):
    path, text = next((p, t) for p, t in speech_clips.items() if p.name == "arctic_a0007.wav")
    neutral, happy = (animate(path, text, emotion=emotion).weights for emotion in ("neutral", "happy"))
    assert channel(happy, "mouthSmileLeft", "mouthSmileRight") > channel(neutral, "mouthSmileLeft", "mouthSmileRight") + 0.2
    jaw = ARKIT_INDEX["jawOpen"]
    assert np.abs(happy[:, jaw] - neutral[:, jaw]).max() <= 0.05
