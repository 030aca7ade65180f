"""The composed performance layer on real speech: the mouth untouched by lay_over, determinism by seed, each layer
switched off, the head-eye convention, and clear errors."""

import dataclasses

import numpy as np
import pytest

from facemotion.expression.performance import (
    ADD_CHANNELS,
    MAX_CHANNELS,
    MOUTH_CHANNELS,
    Performance,
    PerformanceSettings,
    lay_over,
    perform,
)
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX
from facemotion.motion.coarticulation import blend_key_motions
from facemotion.motion.keymotion import key_motions
from facemotion.text.visemes import load_viseme_table

LAYERS = {
    "blinks": ("eyeBlinkLeft", "eyeBlinkRight", "eyeSquintLeft", "eyeSquintRight"),
    "gaze": tuple(name for name in ARKIT_52 if name.startswith("eyeLook")),
    "brows": ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"),
    "breathing": ("noseSneerLeft", "noseSneerRight"),
    "head": (),
}
"""Each switch of PerformanceSettings and the ARKit channels it drives (the head drives the head rotation)."""


def columns(names) -> list[int]:
    return [ARKIT_INDEX[name] for name in names]


def test_mouth_channels_are_bit_identical_after_lay_over(minute, inputs, performance_of):
    *_, fps, n_frames = inputs(minute)
    keys = key_motions(minute.phonemes, load_viseme_table())
    speech = np.clip(blend_key_motions(keys, n_frames, fps), 0.0, 1.0).astype(np.float32)  # the lips of the minute
    performance = performance_of(minute)
    laid = lay_over(speech, performance)
    mouth = columns(MOUTH_CHANNELS)
    assert len(mouth) == 29 and {"jawOpen", "mouthClose", "cheekPuff", "tongueOut"} <= set(MOUTH_CHANNELS)
    assert laid[:, mouth].tobytes() == speech[:, mouth].tobytes()
    assert not np.any(performance.weights[:, mouth])
    untouched = [i for i, name in enumerate(ARKIT_52) if name not in MAX_CHANNELS + ADD_CHANNELS]
    assert laid[:, untouched].tobytes() == speech[:, untouched].tobytes()
    by_max, added = columns(MAX_CHANNELS), columns(ADD_CHANNELS)
    np.testing.assert_array_equal(laid[:, by_max], np.maximum(speech[:, by_max], performance.weights[:, by_max]))
    np.testing.assert_array_equal(laid[:, added], np.clip(speech[:, added] + performance.weights[:, added], 0, 1))
    assert laid.dtype == speech.dtype and laid is not speech
    assert laid[:, ARKIT_INDEX["eyeBlinkLeft"]].max() == 1.0


def test_the_same_seed_gives_the_same_performance_and_another_seed_another(minute, inputs):
    first, again = perform(*inputs(minute), seed=7), perform(*inputs(minute), seed=7)
    for field in dataclasses.fields(Performance):
        assert getattr(first, field.name).tobytes() == getattr(again, field.name).tobytes()
    other = perform(*inputs(minute), seed=8)
    assert not np.array_equal(first.head_rotation, other.head_rotation)
    assert not np.array_equal(first.eye_rotation, other.eye_rotation)
    blinks = columns(LAYERS["blinks"])
    assert not np.array_equal(first.weights[:, blinks], other.weights[:, blinks])


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_switches_off_and_leaves_the_others_alone(minute, performance_of, layer):
    full = performance_of(minute)
    without = performance_of(minute, settings=PerformanceSettings(**{layer: False}))
    own = columns(LAYERS[layer])
    assert np.any(full.weights[:, own]) or layer == "head"
    assert not np.any(without.weights[:, own])
    eyes_follow_head = columns(LAYERS["gaze"]) if layer == "head" else []  # the eyes counter-rotate the head
    others = [i for i in range(52) if i not in own + eyes_follow_head]
    np.testing.assert_array_equal(without.weights[:, others], full.weights[:, others])
    if layer == "head":
        assert not np.any(without.head_rotation)
        np.testing.assert_allclose(without.eye_rotation, full.eye_rotation + full.head_rotation[:, None, :2], atol=1e-5)
    else:
        np.testing.assert_array_equal(without.head_rotation, full.head_rotation)
    if layer == "gaze":
        assert not np.any(without.eye_rotation)


def test_scale_zero_leaves_only_the_blinks(minute, performance_of):
    performance = performance_of(minute, settings=PerformanceSettings(scale=0.0))
    assert not np.any(performance.head_rotation) and not np.any(performance.eye_rotation)
    blinks = columns(LAYERS["blinks"])
    assert not np.any(np.delete(performance.weights, blinks, axis=1))
    np.testing.assert_array_equal(performance.weights[:, blinks], performance_of(minute).weights[:, blinks])


def test_everything_off_is_a_zero_layer(minute, inputs):
    off = PerformanceSettings(blinks=False, gaze=False, brows=False, head=False, breathing=False)
    performance = perform(*inputs(minute), settings=off)
    assert not any(np.any(getattr(performance, f.name)) for f in dataclasses.fields(Performance))


def test_eyes_counter_rotate_the_head_to_hold_the_camera(minute, performance_of):
    full = performance_of(minute)
    gaze_only = performance_of(minute, settings=PerformanceSettings(head=False))
    world = full.eye_rotation + full.head_rotation[:, None, :2]
    np.testing.assert_allclose(world, gaze_only.eye_rotation, atol=1e-5)
    assert np.abs(full.head_rotation[:, :2]).max() > 1.0  # the head does move


@pytest.mark.parametrize("fps", [24.0, 60.0])
def test_any_frame_rate(minute, inputs, fps):
    *_, n_frames = inputs(minute, fps)
    performance = perform(*inputs(minute, fps))
    assert performance.n_frames == n_frames == int(np.ceil(len(minute.waveform) / 16000 * fps))
    assert performance.weights[:, ARKIT_INDEX["eyeBlinkLeft"]].max() == 1.0


def test_a_silent_take_still_blinks_and_sways():
    pitch = np.full(2000, 100.0, np.float32)
    performance = perform([], [], np.full(2000, -100.0, np.float32), pitch, 30.0, 600, seed=3)
    closing = np.diff((performance.weights[:, ARKIT_INDEX["eyeBlinkLeft"]] > 0).astype(int)) == 1
    assert 2 <= closing.sum() <= 12  # the rest rate, 17 a minute
    assert not np.any(performance.weights[:, columns(LAYERS["brows"] + LAYERS["breathing"])])
    assert 0 < np.abs(performance.head_rotation).max() < 1.5


def test_settings_are_checked():
    with pytest.raises(ValueError, match="scale"):
        PerformanceSettings(scale=-0.5)
    with pytest.raises(ValueError, match="scale"):
        PerformanceSettings(scale=float("nan"))
    with pytest.raises(TypeError, match="blinks must be a bool"):
        PerformanceSettings(blinks=1)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"fps": 0.0}, ValueError, "fps"),
        ({"n_frames": -1}, ValueError, "n_frames"),
        ({"n_frames": 2.5}, TypeError, "n_frames"),
        ({"seed": -1}, ValueError, "seed"),
        ({"intensity": 1.5}, ValueError, "intensity"),
        ({"pitch_hz": np.zeros(11, np.float32)}, ValueError, "one per 10 ms each"),
        ({"pitch_hz": np.full(10, np.nan, np.float32)}, ValueError, "pitch_hz holds NaN"),
        ({"loudness_db": np.zeros((10, 2))}, ValueError, "loudness_db"),
    ],
)
def test_bad_inputs_raise_clear_errors(change, error, message):
    arguments = {
        "phonemes": [],
        "speech_spans": [],
        "loudness_db": np.zeros(10, np.float32),
        "pitch_hz": np.full(10, 100.0, np.float32),
        "fps": 30.0,
        "n_frames": 3,
    }
    with pytest.raises(error, match=message):
        perform(**{**arguments, **change})


def test_a_performance_never_holds_mouth_weights_and_lay_over_checks_lengths():
    zeros = np.zeros((4, 52), np.float32)
    rotations = np.zeros((4, 3), np.float32), np.zeros((4, 2, 2), np.float32)
    mouth = zeros.copy()
    mouth[:, ARKIT_INDEX["jawOpen"]] = 0.5
    with pytest.raises(ValueError, match="never the mouth"):
        Performance(mouth, *rotations)
    with pytest.raises(ValueError, match="head_rotation"):
        Performance(zeros, np.zeros((4, 3)), rotations[1])
    with pytest.raises(ValueError, match="match the performance"):
        lay_over(np.zeros((5, 52), np.float32), Performance(zeros, *rotations))
