import csv
import os
from dataclasses import replace

import numpy as np
import pytest

from facemotion.animation import FaceAnimation
from facemotion.exporters.livelink_csv import (
    LIVELINK_BLENDSHAPES,
    LIVELINK_HEADER,
    export_livelink_csv,
    read_livelink_csv,
)
from facemotion.face_models.names import ARKIT_52

# The header of a take recorded by the Live Link Face app (as published in public repositories).
APP_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,"
    "EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,"
    "EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,"
    "MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,"
    "MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,"
    "MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,"
    "CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,"
    "LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
)


def make_animation(frames=10, fps=60.0, seed=0):
    weights = np.random.default_rng(seed).uniform(0, 1, (frames, 52)).astype(np.float32)
    return FaceAnimation(fps=fps, weights=weights)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_header_is_the_apps():
    assert ",".join(LIVELINK_HEADER) == APP_HEADER
    assert sorted(name[0].lower() + name[1:] for name in LIVELINK_BLENDSHAPES) == sorted(ARKIT_52)


def test_columns_hold_the_named_channel(tmp_path):
    animation = make_animation(frames=3)
    rows = read_rows(export_livelink_csv(animation, tmp_path / "take.csv"))
    assert ",".join(rows[0]) == APP_HEADER
    assert rows[0][16:20] == ["JawForward", "JawRight", "JawLeft", "JawOpen"]
    for t, row in enumerate(rows[1:]):
        assert len(row) == 63 and row[1] == "61"
        for column, channel in (("JawRight", "jawRight"), ("MouthLeft", "mouthLeft")):
            assert float(row[rows[0].index(column)]) == pytest.approx(animation.channel(channel)[t], abs=1e-9)
        assert row[-9:] == ["0.0000000000"] * 9


def test_round_trip(tmp_path):
    animation = make_animation(frames=200, fps=60.0)
    back = read_livelink_csv(export_livelink_csv(animation, tmp_path / "take.csv"))
    assert back.fps == 60.0 and back.channel_names == ARKIT_52
    np.testing.assert_allclose(back.weights, animation.weights, atol=1e-6)
    assert os.listdir(tmp_path) == ["take.csv"]


def test_channel_order_of_the_animation_does_not_matter(tmp_path):
    animation = make_animation(frames=4)
    reversed_weights = animation.weights[:, ::-1].copy()
    shuffled = FaceAnimation(fps=30.0, weights=reversed_weights, channel_names=ARKIT_52[::-1])
    back = read_livelink_csv(export_livelink_csv(shuffled, tmp_path / "take.csv"), fps=30.0)
    np.testing.assert_allclose(back.weights, animation.weights, atol=1e-6)


@pytest.mark.parametrize(
    ("fps", "frame", "timecode"),
    [(60.0, 0, "00:00:00:00.000"), (60.0, 61, "00:00:01:01.000"), (2.0, 2 * 3725 + 1, "01:02:05:01.000"),
     (29.97, 30, "00:00:01:00.030"), (24.0, 47, "00:00:01:23.000")],
)
def test_timecodes_count_frames_at_the_animation_fps(tmp_path, fps, frame, timecode):
    animation = FaceAnimation(fps=fps, weights=np.zeros((frame + 1, 52), np.float32))
    rows = read_rows(export_livelink_csv(animation, tmp_path / "take.csv"))
    assert rows[-1][0] == timecode


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_fps_is_inferred_from_timecodes(tmp_path, fps):
    path = export_livelink_csv(make_animation(frames=int(3.5 * fps), fps=fps), tmp_path / "take.csv")
    assert read_livelink_csv(path).fps == fps


def test_fps_is_inferred_from_a_take_with_60_fps_timecodes_and_30_fps_rows(tmp_path):
    # The app can count FF at 60 while recording every second frame: FF steps by 2 with a sub-frame.
    path = tmp_path / "take.csv"
    lines = [APP_HEADER]
    for t in range(100):
        ff = 47 + 2 * t
        second, ff = 47 + ff // 60, ff % 60
        lines.append(f"12:27:{second:02d}:{ff:02d}.169,61," + ",".join(["0.5"] * 52 + ["-0.1"] * 9))
    path.write_text("\n".join(lines) + "\n")
    assert read_livelink_csv(path).fps == 30.0


def test_columns_are_matched_by_name_case_insensitively(tmp_path):
    animation = make_animation(frames=5)
    names = list(LIVELINK_HEADER)
    values = [[f"00:00:00:{t:02d}.000", "61"] + [f"{v:.10f}" for v in animation.weights[t]] + ["0"] * 9
              for t in range(5)]
    apple_header = ["Timecode", "BlendShapeCount", *ARKIT_52, *names[-9:]]
    order = np.random.default_rng(3).permutation(len(apple_header))
    header = [apple_header[i].upper() if i % 2 else apple_header[i].lower() for i in order]
    path = tmp_path / "shuffled.csv"
    rows = [header] + [[row[i] for i in order] for row in values]
    path.write_text("\n".join(",".join(row) for row in rows) + "\n")
    back = read_livelink_csv(path, fps=60.0)
    np.testing.assert_allclose(back.weights, animation.weights, atol=1e-6)


def test_missing_columns_and_bad_values_are_named(tmp_path):
    path = tmp_path / "take.csv"
    path.write_text("Timecode,BlendShapeCount," + ",".join(LIVELINK_BLENDSHAPES[:-1]) + "\n")
    with pytest.raises(ValueError, match="no columns for \\['tongueOut'\\]"):
        read_livelink_csv(path)
    path.write_text(APP_HEADER + "\n00:00:00:00.000,61," + ",".join(["x"] * 61) + "\n")
    with pytest.raises(ValueError, match="could not convert"):
        read_livelink_csv(path)
    path.write_text(APP_HEADER + "\n00:00:00:00.000,61," + ",".join(["0"] * 61) + "\n")
    with pytest.raises(ValueError, match="less than one whole second"):
        read_livelink_csv(path)
    with pytest.raises(FileNotFoundError, match="no such Live Link Face CSV"):
        read_livelink_csv(tmp_path / "missing.csv")


def test_only_arkit_52_animations_are_written(tmp_path):
    weights = np.zeros((2, 2), np.float32)
    animation = FaceAnimation(fps=30.0, weights=weights, channel_names=("jawOpen", "blink"))
    with pytest.raises(ValueError, match="missing .*'eyeBlinkLeft'.*extra \\['blink'\\]"):
        export_livelink_csv(animation, tmp_path / "take.csv")
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        export_livelink_csv(make_animation(), tmp_path / "missing" / "take.csv")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------- head and eye rotations


def test_rotations_round_trip(tmp_path, turning):
    animation = turning(make_animation(frames=200, fps=60.0))
    back = read_livelink_csv(export_livelink_csv(animation, tmp_path / "take.csv"))
    np.testing.assert_allclose(back.head_rotation, animation.head_rotation, atol=1e-6)  # degrees; asked: 0.1
    np.testing.assert_allclose(back.eye_rotation, animation.eye_rotation, atol=1e-6)
    np.testing.assert_allclose(back.weights, animation.weights, atol=1e-9)


def test_rotation_columns_are_degrees_over_180_with_the_apps_signs(tmp_path):
    """Head pitch 9 (chin down), yaw 18 (to the character's left), roll -36; left eye looking down 4.5 and to the
    character's left 27, right eye up 9 and to the character's right 13.5: the app's columns, value = degrees / 180."""
    head = np.array([[9.0, 18.0, -36.0]], np.float32)
    eyes = np.array([[[4.5, 27.0], [-9.0, -13.5]]], np.float32)
    animation = replace(make_animation(frames=1), head_rotation=head, eye_rotation=eyes)
    rows = read_rows(export_livelink_csv(animation, tmp_path / "take.csv"))
    written = dict(zip(rows[0][-9:], map(float, rows[1][-9:])))
    assert written == pytest.approx({
        "HeadYaw": 0.1, "HeadPitch": 0.05, "HeadRoll": -0.2,
        "LeftEyeYaw": 0.15, "LeftEyePitch": 0.025, "LeftEyeRoll": 0.0,
        "RightEyeYaw": -0.075, "RightEyePitch": -0.05, "RightEyeRoll": 0.0,
    }, abs=1e-10)


def test_a_take_with_only_head_rotation_writes_still_eyes(tmp_path):
    animation = replace(make_animation(frames=3), head_rotation=np.full((3, 3), 9.0, np.float32))
    back = read_livelink_csv(export_livelink_csv(animation, tmp_path / "take.csv"), fps=60.0)
    np.testing.assert_allclose(back.head_rotation, animation.head_rotation, atol=1e-6)
    assert back.eye_rotation is None


def test_a_take_without_rotations_reads_back_without(tmp_path):
    back = read_livelink_csv(export_livelink_csv(make_animation(frames=3), tmp_path / "take.csv"), fps=60.0)
    assert back.head_rotation is None and back.eye_rotation is None


def test_a_take_without_rotation_columns_reads(tmp_path):
    path = export_livelink_csv(make_animation(frames=3), tmp_path / "take.csv")
    rows = read_rows(path)
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([row[:-9] for row in rows])
    assert read_livelink_csv(path, fps=60.0).head_rotation is None
