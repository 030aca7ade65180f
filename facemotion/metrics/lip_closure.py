"""Lip closure on bilabials and lip opening on open vowels, read from the inner-lip gap of a head.

The main job's scoring (issue 13): at every /p/, /b/, /m/ of a reference phoneme segmentation the lips must
close, i.e. the inner-lip gap (:meth:`facemotion.face_models.arkit.ARKitRig.inner_lip_gap`, metres) must fall
below :data:`CLOSED_GAP_M` at some frame inside the phoneme; open vowels (/aa ae ah ao/) held for at least
:data:`MIN_OPEN_VOWEL_FRAMES` frames must open the mouth, measured by the largest gap inside each.

"Inside" means the frames whose time ``t / fps`` lies in ``[start, end]``; a phoneme shorter than a frame
that contains no frame time gets the frame nearest its middle (:func:`frames_inside`).

The reference segmentation is the truth (eSpeak NG's phoneme events, or a forced alignment of the true
transcript), not the phonemes the animation was made from, so a recogniser's misses count.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from facemotion.text.phonemes import PhonemeSegment

BILABIALS = frozenset({"P", "B", "M"})
OPEN_VOWELS = frozenset({"AA", "AE", "AH", "AO"})
CLOSED_GAP_M = 0.002
"""Inner-lip gap (m) under which the lips count as closed: 2 mm (neutral on the default head is 0.76 mm)."""
MIN_OPEN_VOWEL_FRAMES = 2
"""Open vowels shorter than this many frames are not scored: a single-frame reduced vowel next to /m/ is
swallowed by the closure, as in real speech."""
MM_PER_M = 1000.0


def frames_inside(start: float, end: float, fps: float, n_frames: int) -> np.ndarray:
    """Frame indices whose time ``t / fps`` lies in ``[start, end]`` s; the frame nearest the middle when none does.

    Returns:
        (K,) int64 indices in ``[0, n_frames)``, K >= 1.

    Raises:
        ValueError: for ``fps <= 0``, ``n_frames < 1`` or ``end < start``.
    """
    if fps <= 0 or n_frames < 1 or end < start:
        raise ValueError(f"need fps > 0, n_frames >= 1 and start <= end, got {fps}, {n_frames}, {start}..{end}")
    inside = np.arange(math.ceil(start * fps), math.floor(end * fps) + 1, dtype=np.int64)
    inside = inside[(inside >= 0) & (inside < n_frames)]
    if len(inside):
        return inside
    return np.array([min(round(0.5 * (start + end) * fps), n_frames - 1)], dtype=np.int64)


@dataclass(frozen=True)
class LipClosureScore:
    """Lip closure on bilabials and opening on open vowels, over one or several clips.

    Attributes:
        bilabial_gaps_mm: (B,) float64, the smallest inner-lip gap inside each reference /p b m/, mm.
        open_vowel_gaps_mm: (O,) float64, the largest inner-lip gap inside each reference /aa ae ah ao/ of at
            least :data:`MIN_OPEN_VOWEL_FRAMES` frames, mm.
        closed_gap_mm: the closure threshold, mm.
    """

    bilabial_gaps_mm: np.ndarray
    open_vowel_gaps_mm: np.ndarray
    closed_gap_mm: float = CLOSED_GAP_M * MM_PER_M

    @property
    def bilabials(self) -> int:
        """Number of reference bilabials."""
        return len(self.bilabial_gaps_mm)

    @property
    def closed(self) -> int:
        """Bilabials whose gap falls below the threshold at some frame inside them."""
        return int(np.sum(self.bilabial_gaps_mm < self.closed_gap_mm))

    @property
    def closure_rate(self) -> float:
        """``closed / bilabials`` in [0, 1]; NaN without bilabials."""
        return self.closed / self.bilabials if self.bilabials else math.nan

    @property
    def mean_bilabial_gap_mm(self) -> float:
        """Mean over bilabials of the smallest gap inside each, mm (negative: lips pressed); NaN without any."""
        return float(np.mean(self.bilabial_gaps_mm)) if self.bilabials else math.nan

    @property
    def mean_open_vowel_gap_mm(self) -> float:
        """Mean over scored open vowels of the largest gap inside each, mm; NaN without any."""
        return float(np.mean(self.open_vowel_gaps_mm)) if len(self.open_vowel_gaps_mm) else math.nan

    @classmethod
    def pooled(cls, scores: Iterable["LipClosureScore"]) -> "LipClosureScore":
        """The phonemes of several clips pooled together (not a mean of per-clip rates).

        Raises:
            ValueError: for no scores, or scores with different thresholds.
        """
        scores = list(scores)
        if not scores or len({s.closed_gap_mm for s in scores}) != 1:
            raise ValueError("pooled() needs at least one score, all with the same threshold")
        return cls(np.concatenate([s.bilabial_gaps_mm for s in scores]),
                   np.concatenate([s.open_vowel_gaps_mm for s in scores]), scores[0].closed_gap_mm)


def lip_closure_score(
    gaps: np.ndarray, phonemes: Sequence[PhonemeSegment], fps: float, closed_gap: float = CLOSED_GAP_M
) -> LipClosureScore:
    """Score an animation's inner-lip gap against a reference phoneme segmentation.

    Args:
        gaps: (T,) inner-lip gap per frame in metres (``rig.inner_lip_gap(rig(weights))``), frame t at t / fps s.
        phonemes: reference segments (ARPAbet, seconds); only /p b m/ and /aa ae ah ao/ are read.
        fps: frame rate of ``gaps``, > 0.
        closed_gap: closure threshold in metres.

    Returns:
        :class:`LipClosureScore` of this clip.

    Raises:
        ValueError: for ``gaps`` that is not a non-empty 1-D finite array, or ``fps <= 0``.
    """
    gaps = np.asarray(gaps, dtype=np.float64)
    if gaps.ndim != 1 or gaps.size == 0 or not np.all(np.isfinite(gaps)):
        raise ValueError(f"gaps must be a non-empty finite (T,) array, got shape {gaps.shape}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    bilabial, open_vowel = [], []
    for segment in phonemes:
        if segment.phone in BILABIALS:
            bilabial.append(gaps[frames_inside(segment.start, segment.end, fps, gaps.size)].min())
        elif segment.phone in OPEN_VOWELS and segment.duration >= MIN_OPEN_VOWEL_FRAMES / fps:
            open_vowel.append(gaps[frames_inside(segment.start, segment.end, fps, gaps.size)].max())
    return LipClosureScore(np.array(bilabial, np.float64) * MM_PER_M, np.array(open_vowel, np.float64) * MM_PER_M,
                           closed_gap * MM_PER_M)
