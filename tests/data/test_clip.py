import numpy as np
import pytest

from facemotion.data.clip import REPRESENTATIONS, MotionClip
from facemotion.expression.emotion import EMOTIONS


def make(**changes):
    fields = {
        "name": "take",
        "audio": np.zeros(16_000, np.float32),
        "fps": 30.0,
        "motion": np.full((30, 52), 0.5, np.float32),
        "representation": "arkit",
    }
    return MotionClip(**{**fields, **changes})


def test_valid_clips_and_their_length():
    clip = make()
    assert clip.n_frames == 30 and clip.duration == pytest.approx(1.0)
    template = np.zeros((4, 3), np.float32)
    vertices = make(motion=np.zeros((6, 12), np.float32), representation="vertices", template=template, fps=60.0)
    assert vertices.duration == pytest.approx(0.1)
    flame = make(motion=np.zeros((5, 53), np.float32), representation="flame", emotion="angry", intensity=1.0)
    assert flame.emotion == "angry"


def test_the_mead_categories_and_representations():
    assert len(EMOTIONS) == 8 and EMOTIONS[0] == "neutral" and "contempt" in EMOTIONS
    assert REPRESENTATIONS == ("arkit", "flame", "vertices")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name"),
        ({"fps": 0.0}, "fps"),
        ({"audio": np.zeros(10, np.float64)}, "audio"),
        ({"audio": np.full(10, np.nan, np.float32)}, "NaN"),
        ({"motion": np.zeros((3, 51), np.float32)}, "52"),
        ({"motion": np.full((3, 52), 1.5, np.float32)}, r"\[0, 1\]"),
        ({"motion": np.full((3, 52), np.inf, np.float32)}, "NaN or Inf"),
        ({"representation": "mesh"}, "representation"),
        ({"emotion": "joy"}, "emotion"),
        ({"emotion": "happy", "intensity": 1.5}, "intensity"),
        ({"intensity": 0.5}, "neutral"),
        ({"template": np.zeros((4, 3), np.float32)}, "vertices motion only"),
        ({"representation": "vertices", "motion": np.zeros((3, 12), np.float32)}, "needs the template"),
        (
            {
                "representation": "vertices",
                "motion": np.zeros((3, 12), np.float32),
                "template": np.zeros((5, 3), np.float32),
            },
            "does not match",
        ),
        ({"representation": "flame", "motion": np.zeros((3, 3), np.float32)}, "n_expression"),
        ({"channel_mask": np.ones(51, bool)}, "channel_mask"),
        ({"channel_mask": np.ones(52, np.float32)}, "channel_mask"),
    ],
)
def test_invalid_fields_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        make(**changes)
