import csv

import numpy as np
import pytest

from facemotion.data.livelink import load_livelink_take
from facemotion.exporters.livelink_csv import export_livelink_csv
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.testing import random_animation


def rewrite_columns(path, keep, rename=str):
    """Rewrite a CSV keeping the columns for which ``keep(name)`` holds, in reverse order, headers renamed."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    columns = [i for i, name in enumerate(rows[0]) if keep(name)][::-1]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(
            [[rename(rows[0][i]) for i in columns]] + [[row[i] for i in columns] for row in rows[1:]]
        )
    return path


def test_round_trip_through_the_exporter(tmp_path, write_speech):
    animation = random_animation(frames=150, fps=60.0, seed=4)
    take = export_livelink_csv(animation, tmp_path / "take_01.csv")
    clip = load_livelink_take(take, write_speech(tmp_path / "take_01.wav", 2.5))
    assert clip.name == "take_01" and clip.representation == "arkit" and clip.fps == 60.0
    assert clip.channel_mask is None and clip.audio.shape == (40_000,)
    np.testing.assert_allclose(clip.motion, animation.weights, atol=1e-7)


def test_given_fps_is_used(tmp_path, write_speech):
    animation = random_animation(frames=12, fps=30.0)
    take = export_livelink_csv(animation, tmp_path / "short.csv")
    clip = load_livelink_take(take, write_speech(tmp_path / "short.wav", 0.4), fps=30.0)
    assert clip.fps == 30.0 and clip.duration == pytest.approx(0.4)


def test_51_names_in_any_order_and_case(tmp_path, write_speech):
    animation = random_animation(frames=90, fps=30.0, seed=5)
    take = export_livelink_csv(animation, tmp_path / "beat.csv")
    rewrite_columns(take, keep=lambda name: name != "TongueOut", rename=str.lower)
    clip = load_livelink_take(take, write_speech(tmp_path / "beat.wav", 3.0))
    tongue = ARKIT_INDEX["tongueOut"]
    assert clip.fps == 30.0 and not clip.motion[:, tongue].any()
    assert np.flatnonzero(~clip.channel_mask).tolist() == [tongue]
    np.testing.assert_allclose(clip.motion[:, :tongue], animation.weights[:, :tongue], atol=1e-7)


def test_bad_takes_are_refused(tmp_path, write_speech):
    wav = write_speech(tmp_path / "take.wav", 1.0)
    take = export_livelink_csv(random_animation(frames=30, fps=30.0), tmp_path / "take.csv")
    with pytest.raises(FileNotFoundError, match="absent.wav"):
        load_livelink_take(take, tmp_path / "absent.wav", fps=30.0)
    with pytest.raises(ValueError, match=r"take.wav lasts 1.00 s but its motion .*take.csv lasts 2.50 s"):
        load_livelink_take(take, wav, fps=12.0)
    rewrite_columns(take, keep=lambda name: name != "Timecode")
    with pytest.raises(ValueError, match="no Timecode column"):
        load_livelink_take(take, wav)
    rewrite_columns(take, keep=lambda name: name != "JawOpen")
    with pytest.raises(ValueError, match="jawOpen"):
        load_livelink_take(take, wav, fps=30.0)
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        load_livelink_take(tmp_path / "absent.csv", wav)


def test_weights_outside_the_unit_range_are_refused(tmp_path, write_speech):
    take = export_livelink_csv(random_animation(frames=30, fps=30.0), tmp_path / "take.csv")
    text = take.read_text().splitlines()
    first = text[1].split(",")
    first[5] = "1.5"
    take.write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_livelink_take(take, write_speech(tmp_path / "take.wav", 1.0), fps=30.0)
