"""FACS emotion recipes on ARKit and their composition with speech."""

import numpy as np
import pytest
import torch

from facemotion.expression.emotion import (
    DEFAULT_INTENSITY,
    EMOTION_RECIPES,
    EMOTIONS,
    EmotionCondition,
    compose_emotion,
    compose_expression,
    emotion_intensity,
    emotion_pose,
)
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX


def test_every_mead_emotion_has_a_recipe_on_arkit_channels_without_the_jaw():
    assert tuple(EMOTION_RECIPES) == EMOTIONS
    for recipe in EMOTION_RECIPES.values():
        assert set(recipe) <= set(ARKIT_52)
        assert not {"jawOpen", "jawForward", "mouthClose"} & set(recipe)
        assert all(0 < w <= 1 for w in recipe.values())


def test_compose_keeps_speech_channels_and_adds_the_emotion():
    rng = np.random.default_rng(0)
    speech = rng.uniform(0, 0.6, (20, 52)).astype(np.float32)
    happy = compose_emotion(speech, "happy", 1.0)
    untouched = [i for i, name in enumerate(ARKIT_52) if name not in EMOTION_RECIPES["happy"]]
    np.testing.assert_array_equal(happy[:, untouched], speech[:, untouched])
    smile = ARKIT_INDEX["mouthSmileLeft"]
    assert np.all(happy[:, smile] >= np.maximum(speech[:, smile], 0.7) - 1e-6) and happy.max() <= 1
    np.testing.assert_allclose(compose_emotion(speech, "sad", 0.0), speech)
    half = compose_emotion(np.zeros((1, 52), np.float32), "sad", 0.5)[0]
    np.testing.assert_allclose(half, 0.5 * emotion_pose("sad"), atol=1e-7)


@pytest.mark.parametrize(
    "args",
    [
        (np.zeros((3, 51)), "happy", 1.0),
        (np.full((3, 52), 1.5), "happy", 1.0),
        (np.zeros((3, 52)), "joy", 1.0),
        (np.zeros((3, 52)), "happy", 1.2),
    ],
)
def test_bad_input(args):
    with pytest.raises(ValueError):
        compose_emotion(*args)


def test_the_intensity_defaults_to_the_full_recipe_and_neutral_to_none():
    assert emotion_intensity("happy") == DEFAULT_INTENSITY == 1.0
    assert emotion_intensity("neutral") == 0.0
    assert emotion_intensity("sad", 0.25) == 0.25 and emotion_intensity("neutral", 0) == 0.0


@pytest.mark.parametrize(("emotion", "intensity", "error", "message"), [
    ("joy", None, ValueError, "emotion must be one of"),
    ("happy", 1.5, ValueError, r"intensity must be in \[0, 1\]"),
    ("neutral", 0.5, ValueError, "neutral has no intensity"),
    ("happy", "1", TypeError, "intensity must be a number"),
])
def test_a_bad_emotion_or_intensity_is_refused(emotion, intensity, error, message):
    with pytest.raises(error, match=message):
        emotion_intensity(emotion, intensity)


def test_a_condition_resolves_its_intensity_and_checks_its_style():
    assert EmotionCondition("sad", style=2) == EmotionCondition("sad", 1.0, 2)
    assert EmotionCondition().intensity == 0.0 and EmotionCondition("contempt").index == len(EMOTIONS) - 1
    with pytest.raises(ValueError, match="neutral has no intensity"):
        EmotionCondition("neutral", 0.5)
    with pytest.raises(ValueError, match="style must be >= 0"):
        EmotionCondition("happy", style=-1)
    with pytest.raises(TypeError, match="style must be an integer"):
        EmotionCondition("happy", style=1.0)


@pytest.mark.parametrize("representation", ["arkit", "flame"])
def test_composition_is_the_same_on_numpy_and_torch(representation):
    rng = np.random.default_rng(1)
    speech = rng.uniform(0, 1, (2, 30, 52)).astype(np.float32)
    expression = rng.uniform(0, 1, (2, 1, 52)).astype(np.float32)
    on_numpy = compose_expression(speech, expression, representation)
    on_torch = compose_expression(torch.from_numpy(speech), torch.from_numpy(expression), representation)
    assert on_numpy.dtype == np.float32 and on_torch.dtype == torch.float32
    np.testing.assert_array_equal(on_torch.numpy(), on_numpy)
    if representation == "arkit":
        assert on_numpy.min() >= 0 and on_numpy.max() <= 1
        np.testing.assert_array_equal(compose_emotion(speech[0], "fear", 0.4),
                                      compose_expression(speech[0], np.float32(0.4) * emotion_pose("fear")))
