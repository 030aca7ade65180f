"""Which Whisper encoder block drives the face best, how to feed it short windows, and what it costs.

Three tables, on the FACEGOOD captures (``../shared/data/facegood``; audio and motion cropped to end together):

1. **Short windows.** The motion model sees 8 s windows (here starting every 7 s, each frame taken from the window
   where it is farther from an edge). Whisper was trained on inputs padded to 30 s. Per block, on the held-out
   take 1114_3_15: the 8 s windows encoded alone, with the first 400 positional embeddings
   (``pad_to_30s=False``, whisper.cpp's ``audio_ctx``), against the same windows padded to 30 s; and the padded
   8 s windows against the take encoded as Whisper transcribes it (30 s windows, 5 s overlap, padded), which
   differ in context and in the positions each frame gets. Columns: mean over frames of the cosine similarity,
   and mean over channels of the Pearson r (over the take's frames).
2. **Blocks.** A ridge regression from each block's hidden states (resampled from 50 Hz to 30 fps by
   :func:`~facemotion.audio.log_mel.align_to_fps`, as the transformer does; +-200 ms of context: frames -6, -4
   .. +6) to the ARKit channels the capture holds, standardised, clipped to [0, 1]. Its alpha is picked on
   1114_2_05 fitted on 1114_2_01..04 (column ``r 2_05``: jawOpen r there), then refitted on 01..05 and scored on
   the held-out 1114_3_15: jawOpen Pearson r, inner-lip-gap r (both curves posed on the shipped head,
   :meth:`~facemotion.face_models.arkit.ARKitRig.inner_lip_gap`), lip LVE in mm
   (:func:`~facemotion.metrics.arkit_lip_lve_mm`). The first row is the transformer's default features, the
   80-band log-mel of :class:`~facemotion.audio.log_mel.LogMel`, with the same ridge.
3. **English phone probe.** What the features say about phones (the issue's aim: English bilabials and rounding,
   which a Mandarin speaker's jaw does not show): a linear probe (standardised features, +-2 frames of context at
   50 Hz, multinomial logistic regression, C = 0.1) from each block to the reference phone (ARPAbet or SIL) at each
   20 ms frame, on the *tuning* split of the English evaluation set (``datasets/make_english_eval.py``; the
   held-out split is never read): fitted on its clips but those of one eSpeak voice (en-GB-x-rp+f1), arctic_a0007
   and LJ001-0012..0017, scored on those. Columns: frame phone accuracy; ROC AUC of the probe's /p b m/
   probability for the frames inside /p b m/.
4. **Speed.** Wall seconds per minute of audio on 2 threads (``torch.set_num_threads(2)``) of the encoder kept up
   to each block, in 8 s windows as the motion model calls it (one minute of 1114_2_01 in 7.5 pieces; best of
   three), and x real time; the log-mel front end alone for comparison.

Usage: ``PYTHONPATH=. python benchmarks/whisper_features.py [--data DIR] [--size base]`` from the repository
root (about 40 minutes on 2 busy CPU cores); needs the ``encoders`` extra (transformers) and the packaged Whisper
checkpoints.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from facemotion.audio.log_mel import LogMel, align_to_fps
from facemotion.audio.io import load_audio
from facemotion.audio.whisper_encoder import (
    WHISPER_FEATURES,
    WhisperSpeechEncoder,
    context_windows,
    packaged_model_bin,
    parse_whisper_spec,
)
from facemotion.data.clip import MotionClip
from facemotion.data.facegood import FACEGOOD_TRAIN, FACEGOOD_VALIDATION, load_facegood
from facemotion.face_models.arkit import ARKitRig
from facemotion.face_models.names import ARKIT_INDEX
from facemotion.metrics import arkit_lip_lve_mm, lve_lip_region
from facemotion.timing import SAMPLE_RATE

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "facegood"
WINDOW_FRAMES, WINDOW_OVERLAP = 400, 50
"""The motion model's windows in encoder frames: 8 s, 1 s overlap."""
SAMPLES_PER_FRAME = SAMPLE_RATE // 50
CONTEXT_OFFSETS = range(-6, 7, 2)
"""Frames at 30 fps around the predicted one that the ridge sees (+-200 ms)."""
ALPHAS = (1e2, 1e3, 1e4, 1e5)
MANIFEST = Path(__file__).resolve().parents[1] / "out" / "english_eval" / "manifest.json"
PROBE_RATE = 50
PROBE_TEST_VOICE, PROBE_TEST_LJ = "en-GB-x-rp+f1", "LJ001-0012"
"""The tuning clips the probe is scored on (the others fit it); the held-out split is never read."""
PROBE_C = 0.1
BILABIALS = ("P", "B", "M")
THREADS = 2


def in_windows(encoder: WhisperSpeechEncoder, audio: np.ndarray) -> list[torch.Tensor]:
    """Every hidden state (T_a, dim) of a take encoded in the motion model's 8 s windows."""
    n_frames = -(-(len(audio) // 160) // 2)
    pieces = []
    for start, end, keep_start, keep_end in context_windows(n_frames, WINDOW_FRAMES, WINDOW_OVERLAP):
        window = torch.from_numpy(audio[start * SAMPLES_PER_FRAME : end * SAMPLES_PER_FRAME])[None]
        pieces.append([s[0, keep_start - start : keep_end - start] for s in encoder.hidden_states(window)])
    return [torch.cat(blocks) for blocks in zip(*pieces)]


def whole(encoder: WhisperSpeechEncoder, audio: np.ndarray) -> list[torch.Tensor]:
    """Every hidden state (T_a, dim) of a take encoded as one input (30 s windows inside the encoder)."""
    return [s[0] for s in encoder.hidden_states(torch.from_numpy(audio)[None])]


def agreement(states: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    """Mean per-frame cosine similarity and mean per-channel Pearson r of two (T, C) tracks."""
    cosine = torch.nn.functional.cosine_similarity(states, reference, dim=1).mean()
    a, b = states - states.mean(0), reference - reference.mean(0)
    r = (a * b).sum(0) / (a.norm(dim=0) * b.norm(dim=0)).clamp_min(1e-12)
    return float(cosine), float(r.mean())


def at_fps(features: torch.Tensor, rate: float, clip: MotionClip) -> np.ndarray:
    """(T_a, C) features at ``rate`` -> (T, len(CONTEXT_OFFSETS) * C) at the clip's fps, with context."""
    frames = align_to_fps(features[None].float(), rate, clip.fps, clip.n_frames)[0].numpy()
    index = np.clip(np.arange(clip.n_frames)[:, None] + np.array(CONTEXT_OFFSETS), 0, clip.n_frames - 1)
    return frames[index].reshape(clip.n_frames, -1)


def fit(features: list[np.ndarray], targets: list[np.ndarray], alpha: float):
    x = np.concatenate(features)
    scaler = StandardScaler().fit(x)
    ridge = Ridge(alpha=alpha).fit(scaler.transform(x), np.concatenate(targets))
    return lambda f: ridge.predict(scaler.transform(f)).clip(0.0, 1.0)


def ridge_scores(features: dict[str, np.ndarray], clips: dict[str, MotionClip], rig, region) -> tuple[float, ...]:
    """(jawOpen r on 2_05 fitted on 01..04, then fitted on 01..05 and scored on 3_15: jawOpen r, lip-gap r, LVE)."""
    channels = clips[FACEGOOD_TRAIN[0]].channel_mask
    jaw = int(np.flatnonzero(channels).tolist().index(ARKIT_INDEX["jawOpen"]))
    train, tune, test = FACEGOOD_TRAIN[:-1], FACEGOOD_TRAIN[-1], FACEGOOD_VALIDATION[0]
    targets = {name: clip.motion[:, channels] for name, clip in clips.items()}
    errors, tune_r = [], []
    for alpha in ALPHAS:
        predicted = fit([features[n] for n in train], [targets[n] for n in train], alpha)(features[tune])
        errors.append(np.mean(np.square(predicted - targets[tune])))
        tune_r.append(np.corrcoef(predicted[:, jaw], targets[tune][:, jaw])[0, 1])
    best = int(np.argmin(errors))
    names = FACEGOOD_TRAIN
    predicted = fit([features[n] for n in names], [targets[n] for n in names], ALPHAS[best])(features[test])
    weights = np.zeros_like(clips[test].motion)
    weights[:, channels] = predicted
    captured = clips[test].motion * channels
    gaps = [lip_gaps(rig, w) for w in (weights, captured)]
    return (tune_r[best], np.corrcoef(predicted[:, jaw], targets[test][:, jaw])[0, 1],
            np.corrcoef(*gaps)[0, 1], arkit_lip_lve_mm(weights, clips[test].motion, rig, region))


def lip_gaps(rig: ARKitRig, weights: np.ndarray, chunk: int = 256) -> np.ndarray:
    """(T,) inner-lip gap in metres of (T, 52) ARKit weights posed on ``rig``, a chunk of frames at a time."""
    return np.concatenate([rig.inner_lip_gap(rig(weights[i : i + chunk])) for i in range(0, len(weights), chunk)])


def seconds_per_minute(encode, audio: np.ndarray) -> float:
    """Wall seconds of ``encode`` over one minute of audio in the motion model's 8 s windows (best of three)."""
    minute = audio[: 60 * SAMPLE_RATE]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for first in range(0, len(minute), 8 * SAMPLE_RATE):
            encode(torch.from_numpy(minute[first : first + 8 * SAMPLE_RATE])[None])
        times.append(time.perf_counter() - start)
    return min(times) * 60 * SAMPLE_RATE / len(minute)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the FACEGOOD folder (default: %(default)s)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST,
                        help="the English evaluation set (datasets/make_english_eval.py; default: %(default)s)")
    parser.add_argument("--size", default="base", help="the packaged Whisper checkpoint (base, tiny.en)")
    parser.add_argument("--tables", default="1,2,3,4", help="the tables to print (default: %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(THREADS)
    clips = {name: load_facegood(args.data, name).cropped() for name in FACEGOOD_TRAIN + FACEGOOD_VALIDATION}
    model_bin = packaged_model_bin(args.size)
    short = WhisperSpeechEncoder.from_checkpoint(model_bin)
    padded = WhisperSpeechEncoder.from_checkpoint(model_bin, pad_to_30s=True)
    blocks = range(short.block + 1)

    if "1" in args.tables:
        held_out = clips[FACEGOOD_VALIDATION[0]].audio
        padded_windows = in_windows(padded, held_out)
        pairs = {"8 s alone vs 8 s padded": (in_windows(short, held_out), padded_windows),
                 "8 s padded vs whole take": (padded_windows, whole(padded, held_out))}
        print(f"1. Encodings of the held-out take {FACEGOOD_VALIDATION[0]} compared, Whisper {args.size}")
        print(f"{'block':>5} " + " ".join(f"{f'{name}: cos':>30} {'r':>6}" for name in pairs))
        for block in blocks:
            cells = [agreement(states[block], reference[block]) for states, reference in pairs.values()]
            print(f"{block:>5} " + " ".join(f"{cos:>30.4f} {r:>6.4f}" for cos, r in cells))
    if "2" in args.tables:
        ridge_table(clips, short, padded, args.size)
    if "3" in args.tables:
        probe_table(args.manifest, short, args.size)
    if "4" in args.tables:
        speed_table(clips[FACEGOOD_TRAIN[0]].audio, model_bin, short.block, args.size)


def ridge_table(clips: dict[str, MotionClip], short: WhisperSpeechEncoder, padded: WhisperSpeechEncoder,
                size: str) -> None:
    blocks = range(short.block + 1)
    rig = ARKitRig.default()
    region = lve_lip_region(rig)
    log_mel = LogMel(80)
    rows = {"log-mel (80 bins)": {n: at_fps(log_mel(torch.from_numpy(c.audio)[None])[0], 100.0, c)
                                  for n, c in clips.items()}}
    states = {name: in_windows(short, clip.audio) for name, clip in clips.items()}
    for block in blocks:
        rows[f"{size} block {block}, 8 s alone"] = {n: at_fps(s[block], 50.0, clips[n]) for n, s in states.items()}
    states = {name: whole(padded, clip.audio) for name, clip in clips.items()}
    for block in blocks:
        rows[f"{size} block {block}, 30 s padded"] = {n: at_fps(s[block], 50.0, clips[n])
                                                          for n, s in states.items()}
    print(f"\n2. Ridge from features to the captured ARKit channels; held-out take {FACEGOOD_VALIDATION[0]}")
    print(f"{'features':<30} {'r 2_05':>7} {'jawOpen r':>9} {'lip-gap r':>9} {'lip LVE mm':>10}")
    for name, features in rows.items():
        tune_r, jaw_r, gap_r, lve = ridge_scores(features, clips, rig, region)
        print(f"{name:<30} {tune_r:>7.3f} {jaw_r:>9.3f} {gap_r:>9.3f} {lve:>10.2f}")


def probe_features(features: torch.Tensor, rate: float, n_frames: int) -> np.ndarray:
    """(T_a, C) features at ``rate`` -> (n_frames, 5 C) at 50 Hz (frame n at (n + 0.5) / 50 s), +-2 frames."""
    frames = align_to_fps(features[None].float(), rate, PROBE_RATE, n_frames)[0].numpy()
    index = np.clip(np.arange(n_frames)[:, None] + np.arange(-2, 3), 0, n_frames - 1)
    return frames[index].reshape(n_frames, -1)


def phone_labels(phonemes: list, n_frames: int) -> np.ndarray:
    """(n_frames,) the ARPAbet phone (or SIL) at each probe frame's centre."""
    times = (np.arange(n_frames) + 0.5) / PROBE_RATE
    ends = np.array([end for _, _, end in phonemes])
    return np.array([p for p, _, _ in phonemes])[np.minimum(np.searchsorted(ends, times), len(ends) - 1)]


def probe_table(manifest: Path, short: WhisperSpeechEncoder, size: str) -> None:
    """Table 3: a linear phone probe on English speech of the evaluation set's tuning split only."""
    folder = manifest.parent
    clips = [c for c in json.loads(manifest.read_text())["clips"] if c["split"] == "tuning"]
    audio = {c["id"]: load_audio(folder / c["audio"]) for c in clips}
    frames = {c["id"]: len(audio[c["id"]]) * PROBE_RATE // SAMPLE_RATE for c in clips}
    labels = {c["id"]: phone_labels(c["phonemes"], frames[c["id"]]) for c in clips}
    tests = {c["id"] for c in clips if c["voice"] == PROBE_TEST_VOICE or c["source"] == "arctic"
             or (c["source"] == "ljspeech" and c["id"] >= PROBE_TEST_LJ)}
    log_mel = LogMel(80)
    rows = {"log-mel (80 bins)": {i: probe_features(log_mel(torch.from_numpy(a)[None])[0], 100.0, frames[i])
                                  for i, a in audio.items()}}
    states = {i: in_windows(short, a) for i, a in audio.items()}
    for block in range(short.block + 1):
        rows[f"{size} block {block}, 8 s alone"] = {i: probe_features(s[block], 50.0, frames[i])
                                                    for i, s in states.items()}
    print(f"\n3. Linear phone probe, English tuning split: {len(clips) - len(tests)} clips to fit, {len(tests)} "
          f"to score ({PROBE_TEST_VOICE}, arctic_a0007, LJ from {PROBE_TEST_LJ})")
    print(f"{'features':<30} {'phone acc':>9} {'/p b m/ AUC':>11}")
    for name, features in rows.items():
        split = {test: [i for i in features if (i in tests) == test] for test in (False, True)}
        x, y = (np.concatenate([features[i] for i in split[False]]), np.concatenate([labels[i] for i in split[False]]))
        scaler = StandardScaler().fit(x)
        probe = LogisticRegression(C=PROBE_C, max_iter=300).fit(scaler.transform(x), y)
        x_test = scaler.transform(np.concatenate([features[i] for i in split[True]]))
        y_test = np.concatenate([labels[i] for i in split[True]])
        bilabial = probe.predict_proba(x_test)[:, np.isin(probe.classes_, BILABIALS)].sum(1)
        print(f"{name:<30} {np.mean(probe.predict(x_test) == y_test):>9.3f} "
              f"{roc_auc_score(np.isin(y_test, BILABIALS), bilabial):>11.3f}")


def speed_table(audio: np.ndarray, model_bin: Path, n_blocks: int, size: str) -> None:
    print(f"\n4. Speed, {THREADS} threads, one minute of audio in 8 s windows")
    print(f"{'encoder':<34} {'s per min':>9} {'x real time':>11}")
    timings = {"log-mel (80 bins)": LogMel(80)}
    for block in range(1, n_blocks + 1):
        timings[f"{size} up to block {block}, 8 s alone"] = WhisperSpeechEncoder.from_checkpoint(model_bin, block)
    block = parse_whisper_spec(WHISPER_FEATURES)[1]
    timings[f"{size} up to block {block}, padded to 30 s"] = WhisperSpeechEncoder.from_checkpoint(model_bin, block, True)
    for name, encode in timings.items():
        seconds = seconds_per_minute(torch.no_grad()(encode), audio)
        print(f"{name:<34} {seconds:>9.2f} {60 / seconds:>11.1f}")


if __name__ == "__main__":
    main()
