"""The command line: outputs, exit codes (0 ok, 2 bad input, 1 internal error), nothing half-written."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from facemotion import cli
from facemotion.face_models.names import ARKIT_52


@pytest.fixture
def arctic(speech_clips):
    return next((p, t) for p, t in speech_clips.items() if p.name.startswith("arctic"))


def run(*args):
    return cli.main([str(a) for a in args])


def test_animate_writes_usd_with_transcript_file(arctic, tmp_path, capsys):
    path, text = arctic
    transcript = tmp_path / "t.txt"
    transcript.write_text(text)
    out = tmp_path / "take.usda"
    assert run("animate", path, "--transcript", transcript, "--fps", 60, "-o", out) == 0
    assert out.is_file() and "240 frames at 60 fps" in capsys.readouterr().out


def test_module_entry_point_and_csv(arctic, tmp_path):
    path, text = arctic
    out = tmp_path / "take.csv"
    done = subprocess.run([sys.executable, "-m", "facemotion", "animate", str(path), "--text", text,
                           "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("Timecode,BlendShapeCount,")


@pytest.mark.parametrize("make_input, message", [
    (lambda tmp: tmp / "missing.wav", "audio file not found"),
    (lambda tmp: (tmp / "text.wav").write_text("hello") and tmp / "text.wav", "not a readable audio file"),
])
def test_bad_speech_file(tmp_path, capsys, make_input, message):
    out = tmp_path / "out.usda"
    assert run("animate", make_input(tmp_path), "-o", out) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_fps_and_unknown_format(arctic, tmp_path, capsys):
    path, _ = arctic
    assert run("animate", path, "--fps", 0, "-o", tmp_path / "a.usda") == 2
    assert run("animate", path, "-o", tmp_path / "a.obj") == 2
    err = capsys.readouterr().err
    assert "fps must be" in err and ".usda" in err
    assert list(tmp_path.iterdir()) == []


def test_output_folder_missing_or_read_only(arctic, tmp_path, capsys, monkeypatch):
    path, _ = arctic
    assert run("animate", path, "-o", tmp_path / "nowhere" / "a.usda") == 2
    assert "does not exist" in capsys.readouterr().err

    def refuse(*args, **kwargs):  # a read-only folder, also for root, who may write anywhere
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("facemotion.exporters.atomic.os.open", refuse)
    assert run("animate", path, "-o", tmp_path / "a.usda") == 2
    assert "not writable" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        run("animate")
    assert exit_info.value.code == 2


def test_internal_error_exits_1(arctic, tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("facemotion.pipelines.speech_to_face.animate", broken)
    assert run("animate", arctic[0], "-o", tmp_path / "a.usda") == 1
    assert "internal error" in capsys.readouterr().err


def test_nan_audio_is_bad_input(write_audio, tmp_path, capsys):
    samples = np.zeros(16000, np.float32)
    samples[5] = np.inf
    path = write_audio("inf.wav", samples, 16000, subtype="FLOAT")
    assert run("animate", path, "-o", tmp_path / "a.usda") == 2
    assert "NaN or Inf" in capsys.readouterr().err


def test_export_converts_and_resamples_a_saved_take(arctic, tmp_path, capsys):
    from facemotion.exporters import read_json_curves, read_npz

    path, text = arctic
    take = tmp_path / "take.npz"
    assert run("animate", path, "--text", text, "-o", take) == 0
    assert run("export", take, "--fps", 60, "-o", tmp_path / "take.json") == 0
    assert run("export", take, "--units", "cm", "--point-cache", "-o", tmp_path / "cache.usdc") == 0
    assert read_json_curves(tmp_path / "take.json").n_frames == 2 * read_npz(take).n_frames
    assert run("export", tmp_path / "missing.npz", "-o", tmp_path / "x.usda") == 2
    assert "NPZ take not found" in capsys.readouterr().err


def test_fbx_without_blender_is_bad_input_with_a_setup_hint(arctic, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FACEMOTION_BLENDER_PYTHON", str(tmp_path / "no-blender" / "python"))
    assert run("animate", arctic[0], "-o", tmp_path / "take.fbx") == 2
    assert "make blender-env" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_retarget_a_gltf_character(tmp_path, capsys):
    from facemotion.exporters import export_gltf, export_npz
    from facemotion.testing import grid_mesh, random_animation

    names = ("eyeBlink_L", "eyeBlink_R", "jawOpen", "hat")
    rig = export_gltf(random_animation(names), tmp_path / "rig.glb", grid_mesh(names))
    take = export_npz(random_animation(frames=6), tmp_path / "take.npz")
    out = tmp_path / "talking.glb"
    assert run("retarget", take, "--rig", rig, "--mapping", "lr_suffix", "-o", out) == 0
    captured = capsys.readouterr()
    assert "(6 frames at 30 fps); mapping 'lr_suffix': 3 blendshapes driven, 1 not driven" in captured.out
    warning = "facemotion: warning: "
    assert f"{warning}blendshapes of the character not driven (they keep their rest weight): hat" in captured.err
    assert f"{warning}animation channels that drive no blendshape of the character: eyeLookDownLeft" in captured.err
    assert out.is_file()
    assert run("retarget", take, "--rig", rig, "--fps", 60, "-o", tmp_path / "auto.glb") == 0  # jawOpen matches
    assert "12 frames at 60 fps); mapping 'auto': 1 blendshapes driven, 3 not driven" in capsys.readouterr().out

    assert run("retarget", take, "--rig", rig, "--mapping", "nope", "-o", tmp_path / "b.glb") == 2
    assert run("retarget", take, "--rig", tmp_path / "rig.fbx", "-o", tmp_path / "b.fbx") == 2
    assert run("retarget", take, "--rig", rig, "--mapping", "lr_suffix", "-o", tmp_path / "b.usda") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("facemotion: error: ") for line in err)
    assert "unknown mapping 'nope'" in err[0] and "FBX characters are not read yet" in err[1]
    assert "written back as glTF" in err[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auto.glb", "rig.glb", "take.npz", "talking.glb"]


def test_render_writes_a_preview_with_audio_and_a_side_by_side(tmp_path, write_audio, capsys):
    av = pytest.importorskip("av")
    from facemotion.animation import FaceAnimation
    from facemotion.exporters import export_npz

    weights = np.random.default_rng(0).uniform(0, 0.3, (8, 52)).astype(np.float32)
    speech = write_audio("speech.wav", np.zeros(8000, np.float32), 16000)
    take = export_npz(FaceAnimation(25.0, weights, audio_path=speech), tmp_path / "take.npz")
    other = export_npz(FaceAnimation(25.0, weights[::-1].copy()), tmp_path / "other.npz")
    assert run("render", take, "-o", tmp_path / "preview.mp4", "--size", 64, "-q") == 0
    assert run("render", take, "-o", tmp_path / "both.mp4", "--size", 64, "--compare", other,
               "--labels", "ours", "reversed", "-q") == 0
    assert run("render", take, "-o", tmp_path / "sheet.png") == 0
    assert "wrote" in capsys.readouterr().out
    with av.open(str(tmp_path / "preview.mp4")) as container:
        assert container.streams.video[0].frames == 8 and len(container.streams.audio) == 1
    with av.open(str(tmp_path / "both.mp4")) as container:
        assert container.streams.video[0].width == 128

    short = export_npz(FaceAnimation(25.0, weights[:4]), tmp_path / "short.npz")
    for args, message in [
        (("-o", tmp_path / "p.mov"), r"\.mp4"),
        (("-o", tmp_path / "p.mp4", "--size", 63), "even"),
        (("-o", tmp_path / "p.mp4", "--compare", short), "compare must match"),
        (("-o", tmp_path / "p.mp4", "--labels", "a", "b"), "--labels needs --compare"),
        (("-o", tmp_path / "p.mp4", "--fov", 0), "fov_degrees"),
        (("-o", tmp_path / "sheet2.png", "--fov", 30), "--fov apply to .mp4"),
        (("-o", tmp_path / "missing" / "p.mp4"), "output folder does not exist"),
    ]:
        assert run("render", take, *args, "-q") == 2
        assert message.replace("\\", "") in capsys.readouterr().err
    assert run("render", tmp_path / "nope.npz", "-o", tmp_path / "p.mp4") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "both.mp4", "other.npz", "preview.mp4", "sheet.png", "short.npz", "speech.wav", "take.npz"]


def test_animate_with_a_preview(arctic, tmp_path, capsys):
    av = pytest.importorskip("av")
    path, text = arctic
    assert run("animate", path, "--text", text, "--fps", 25, "-o", tmp_path / "take.npz",
               "--preview", tmp_path / "take.mp4", "--preview-size", 64, "-q") == 0
    with av.open(str(tmp_path / "take.mp4")) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.average_rate == 25 and (video.width, video.height) == (64, 64)
        assert abs(float(audio.duration * audio.time_base) - video.frames / 25) < 1 / 25
    assert run("animate", path, "-o", tmp_path / "b.npz", "--preview", tmp_path / "b.avi") == 2
    assert "--preview writes an .mp4" in capsys.readouterr().err and not (tmp_path / "b.npz").exists()


def test_lj001_preview_has_one_h264_stream_and_speech_of_its_duration(speech_clips, tmp_path):
    """Issue 5's check: what ffprobe would show of a default-size preview of LJ001-0001."""
    av = pytest.importorskip("av")
    path, text = next((p, t) for p, t in speech_clips.items() if p.stem == "LJ001-0001")
    assert run("animate", path, "--text", text, "-o", tmp_path / "lj.npz", "--preview", tmp_path / "lj.mp4", "-q") == 0
    with av.open(str(tmp_path / "lj.mp4")) as container:
        assert len(container.streams.video) == 1 and len(container.streams.audio) == 1
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and (video.width, video.height) == (512, 512)
        video_seconds = float(video.duration * video.time_base)
        assert abs(float(audio.duration * audio.time_base) - video_seconds) < 1 / 30
        assert abs(video_seconds - sf.info(path).duration) < 1 / 30


def test_animate_motion_modes_emotion_and_model_folder(arctic, tmp_path, capsys):
    path, text = arctic
    takes = {}
    for name, extra in {
        "procedural": ["--motion", "procedural"],
        "happy": ["--motion", "learned", "--emotion", "happy", "--intensity", "0.8"],
        "model": ["--motion", "learned", "--model", tmp_path / "no-model"],
    }.items():
        takes[name] = tmp_path / f"{name}.npz"
        code = run("animate", path, "--text", text, *extra, "-o", takes[name])
        assert code == (2 if name == "model" else 0), capsys.readouterr().err
    assert "no-model" in capsys.readouterr().err and not takes["model"].exists()
    procedural, happy = (np.load(takes[n])["weights"] for n in ("procedural", "happy"))
    smile = ARKIT_52.index("mouthSmileLeft")
    assert happy[:, smile].mean() > procedural[:, smile].mean() + 0.2


def test_bad_emotion_and_missing_training_config(arctic, tmp_path, capsys):
    path, text = arctic
    assert run("animate", path, "--text", text, "--motion", "learned", "--emotion", "joy", "-o", tmp_path / "t.npz") == 2
    assert "emotion" in capsys.readouterr().err
    assert run("train", "--config", tmp_path / "none.yaml") == 2
    assert "none.yaml" in capsys.readouterr().err


# Faults a new user meets: each is one line on stderr, the right exit code, and no file left behind.


@pytest.fixture
def tone(write_audio):
    """One second of a voiced-sounding tone at 16 kHz: enough for every sub-command, no real speech needed."""
    t = np.arange(16000) / 16000
    return write_audio("tone.wav", (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2), 16000)


@pytest.fixture
def take(tmp_path):
    from facemotion.exporters import export_npz
    from facemotion.testing import random_animation

    return export_npz(random_animation(frames=10), tmp_path / "take.npz")


def one_error_line(capsys, *expected: str) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert all(text in err for text in expected), err
    return err


def never_called(*args, **kwargs):
    raise AssertionError("the long work started before the input was checked")


def test_an_emotion_without_an_intensity_is_shown_in_full_by_the_cli_and_the_api(tone, tmp_path):
    from facemotion.pipelines.speech_to_face import animate

    assert run("animate", tone, "--motion", "learned", "--emotion", "happy", "-q", "-o", tmp_path / "cli.npz") == 0
    cli_happy = np.load(tmp_path / "cli.npz")["weights"]
    api_happy = animate(tone, motion="learned", emotion="happy").weights
    full = animate(tone, motion="learned", emotion="happy", intensity=1.0).weights
    neutral = animate(tone, motion="learned").weights
    np.testing.assert_array_equal(api_happy, full)
    np.testing.assert_array_equal(cli_happy, full)
    smile = [ARKIT_52.index("mouthSmileLeft"), ARKIT_52.index("mouthSmileRight")]
    assert api_happy[:, smile].mean() > neutral[:, smile].mean() + 0.2


@pytest.fixture
def model_folder(tmp_path):
    from facemotion.motion.speech_motion import SpeechMotionConfig, SpeechMotionModel

    tiny = {"transformer": {"n_mels": 16, "d_model": 16, "n_heads": 2, "n_layers": 1},
            "prior": {"d_model": 16, "n_heads": 2, "n_layers": 1, "content_dim": 4, "emotion_dim": 2}}
    return SpeechMotionModel(SpeechMotionConfig.from_dict(tiny)).save_pretrained(tmp_path / "model")


@pytest.mark.parametrize(("spoil", "expected"), [
    (lambda d: d.update(transformer={**d["transformer"], "d_modle": 16}), ["config.json", "d_modle", "transformer"]),
    (lambda d: d.update(shade=1), ["config.json", "unknown keys ['shade']"]),
    (lambda d: d.update(transformer={**d["transformer"], "d_model": 32}), ["model.safetensors", "wrong shape"]),
    (lambda d: d.update(prior=None), ["model.safetensors", "unexpected prior."]),
    (lambda d: d.update(window_seconds=1.0), ["config.json", "overlap_seconds"]),
    (lambda d: d.update(_class_name="SyncExpert"), ["config.json", "holds a SyncExpert, not a SpeechMotionModel"]),
    (lambda d: d.update(_format_version=2), ["config.json", "format version 2", "upgrade facemotion"]),
])
def test_a_bad_model_folder_is_bad_input_naming_the_file(model_folder, tone, tmp_path, capsys, monkeypatch, spoil,
                                                        expected):
    import json

    config = json.loads((model_folder / "config.json").read_text())
    spoil(config)
    (model_folder / "config.json").write_text(json.dumps(config))
    monkeypatch.setattr("facemotion.pipelines.speech_to_face.analyse_speech", never_called)
    assert run("animate", tone, "--motion", "learned", "--model", model_folder, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, "facemotion: error:", *expected)
    assert not (tmp_path / "t.npz").exists()


@pytest.mark.parametrize(("file", "content", "expected"), [
    ("config.json", b"{not json", "config.json: not a JSON file"),
    ("model.safetensors", b"\x00" * 64, "model.safetensors: not a safetensors file"),
])
def test_a_corrupt_model_file_is_named(model_folder, tone, tmp_path, capsys, file, content, expected):
    (model_folder / file).write_bytes(content)
    assert run("animate", tone, "--motion", "learned", "--model", model_folder, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, expected)


def test_a_model_folder_needs_the_learned_motion(model_folder, tone, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("facemotion.pipelines.speech_to_face.analyse_speech", never_called)
    assert run("animate", tone, "--model", model_folder, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, "a model folder needs the learned motion")


@pytest.mark.parametrize(("args", "expected"), [
    (["--emotion", "happy", "--intensity", "2", "--motion", "learned"], "intensity must be in [0, 1], got 2.0"),
    (["--emotion", "neutral", "--intensity", "0.5", "--motion", "learned"], "neutral has no intensity"),
    (["--emotion", "joy"], "emotion must be one of"),
    (["--recognizer", "wisper"], "unknown recognizer 'wisper'"),
    (["--fps", "1e9"], "fps must be a number in (0, 1000], got 1e+09"),
    (["--preview", "p.mp4", "--preview-size", "100000"], "--preview-size must be an even number in [16, 8192]"),
])
def test_bad_options_are_refused_before_the_work(tone, tmp_path, capsys, monkeypatch, args, expected):
    monkeypatch.setattr("facemotion.pipelines.speech_to_face.analyse_speech", never_called)
    monkeypatch.chdir(tmp_path)
    assert run("animate", tone, *args, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tone.wav"]


def test_upper_bounds_of_export_and_render(take, tmp_path, capsys):
    assert run("export", take, "--fps", "1e6", "-o", tmp_path / "t.csv") == 2
    one_error_line(capsys, "fps must be a number in (0, 1000]")
    assert run("render", take, "--size", "100000", "-o", tmp_path / "t.mp4") == 2
    one_error_line(capsys, "size must be an even number in [16, 8192]")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.npz"]


@pytest.mark.parametrize("command", ["render", "export"])
def test_a_file_that_is_not_a_take_says_so_and_never_mentions_pickles(tmp_path, capsys, command):
    import pickle

    fake = tmp_path / "take.npz"
    fake.write_bytes(pickle.dumps({"weights": [0.5]}))
    assert run(command, fake, "-o", tmp_path / ("x.mp4" if command == "render" else "x.csv")) == 2
    err = one_error_line(capsys, "not a facemotion take")
    assert "pickle" not in err


def test_a_transcript_that_is_not_utf8_is_named(tone, tmp_path, capsys):
    transcript = tmp_path / "words.txt"
    transcript.write_bytes("caf\u00e9".encode("latin-1"))
    assert run("animate", tone, "--transcript", transcript, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, f"transcript file {transcript} is not UTF-8 text")


@pytest.mark.parametrize(("make", "expected"), [
    (lambda path: path.mkdir(), "is a folder, not a file"),
    (lambda path: os.mkfifo(path), "is a named pipe (FIFO), not a regular file"),
])
def test_a_folder_or_a_pipe_as_input_says_what_it_is(tmp_path, capsys, make, expected, take):
    speech = tmp_path / "speech.wav"
    make(speech)
    assert run("animate", speech, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, f"audio file {speech} {expected}")
    transcript = tmp_path / "words.txt"
    make(transcript)
    assert run("animate", take, "--transcript", transcript, "-o", tmp_path / "t.npz") == 2
    one_error_line(capsys, f"transcript file {transcript} {expected}")


@pytest.mark.parametrize("suffix", [".npz", ".usdc", ".usda"])
def test_a_full_disk_is_one_line_exit_2_and_no_partial_file(take, tmp_path, capsys, monkeypatch, suffix):
    import errno

    from pxr import Tf

    def fill_the_disk(*args, **kwargs):
        path = next(a for a in args if isinstance(a, (str, os.PathLike)) or hasattr(a, "write"))
        if hasattr(path, "write"):
            path.write(b"partial")
        else:
            Path(path).write_bytes(b"partial")
        if suffix == ".npz":
            raise OSError(errno.ENOSPC, "No space left on device")
        message = "\n".join(["", *["\tError in 'Write' at line 78 in file f.cpp : 'Error occurred writing file: "
                                   "No space left on device'"] * 4000])  # USD's flood, one line per chunk
        raise Tf.ErrorException(message)

    writer = "npz.np.savez_compressed" if suffix == ".npz" else "usd._write_stage"
    monkeypatch.setattr(f"facemotion.exporters.{writer}", fill_the_disk)
    out = tmp_path / f"out{suffix}"
    assert run("export", take, "-o", out) == 2
    one_error_line(capsys, f"No space left on device: cannot write {out}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.npz"]


def test_ctrl_c_prints_one_line_and_exits_130(take, tmp_path, capsys, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("facemotion.exporters.npz.np.savez_compressed", interrupt)
    assert run("export", take, "-o", tmp_path / "out.npz") == 130
    one_error_line(capsys, "facemotion: interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.npz"]


SLOW_WRITE = """
import sys, time
from facemotion import cli

def slow_write(file, **arrays):  # half a file, then a long wait for the signal
    file.write(b"partial")
    file.flush()
    print("writing", flush=True)
    time.sleep(120)

cli_args = sys.argv[1:]
import facemotion.exporters.npz as npz
npz.np.savez_compressed = slow_write
sys.exit(cli.main(cli_args))
"""


@pytest.mark.parametrize(("signal_number", "code", "message"), [
    (signal.SIGTERM, 143, "facemotion: terminated"), (signal.SIGINT, 130, "facemotion: interrupted"),
])
def test_a_signal_during_a_write_leaves_no_temporary_file(take, tmp_path, signal_number, code, message):
    out = tmp_path / "out.npz"
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, "export", str(take), "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        assert any(p.name.startswith(".out.") for p in tmp_path.iterdir())  # the hidden temporary file
        process.send_signal(signal_number)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code and err.strip() == message, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.npz"]


def test_an_output_that_cannot_be_replaced_is_refused_first_and_named(tone, tmp_path, capsys, monkeypatch):
    import errno

    out = tmp_path / "take.npz"
    out.write_bytes(b"old take")
    real_open = os.open

    def immutable(path, flags, *args):  # as for `chattr +i take.npz`: even root may not write it
        if Path(path) == out and flags & os.O_WRONLY:
            raise PermissionError(errno.EPERM, "Operation not permitted", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr("facemotion.exporters.atomic.os.open", immutable)
    monkeypatch.setattr("facemotion.pipelines.speech_to_face.analyse_speech", never_called)
    assert run("animate", tone, "-o", out) == 2
    err = one_error_line(capsys, f"cannot replace {out}: Operation not permitted")
    assert ".tmp" not in err and out.read_bytes() == b"old take"


def test_fbx_without_blender_is_refused_before_the_work(tone, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FACEMOTION_BLENDER_PYTHON", str(tmp_path / "no-blender" / "python"))
    monkeypatch.setattr("facemotion.pipelines.speech_to_face.analyse_speech", never_called)
    assert run("animate", tone, "-o", tmp_path / "take.fbx") == 2
    one_error_line(capsys, "make blender-env")


def test_animate_says_what_it_does_unless_quiet(tone, tmp_path, capsys):
    assert run("animate", tone, "-o", tmp_path / "a.npz") == 0
    out = capsys.readouterr().out
    assert "loading the speech models" in out and f"animating {tone}" in out and "wrote" in out
    assert run("animate", tone, "-q", "-o", tmp_path / "b.npz") == 0
    assert capsys.readouterr().out.startswith("wrote")


def test_train_without_the_training_dependencies_says_what_to_install():
    code = ("import sys; sys.modules['lightning'] = None; from facemotion import cli; "
            "sys.exit(cli.main(['train', '--config', 'configs/facegood_motion.yaml']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 2
    assert done.stderr.strip() == ("facemotion: error: training needs Lightning, TensorBoard and openpyxl: "
                                   "pip install 'facemotion[train]'")
