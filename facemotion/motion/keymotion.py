"""Linguistic key-motion acquisition: each phoneme becomes a viseme pose anchored at its time span."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facemotion.text.phonemes import PhonemeSegment
from facemotion.text.visemes import VisemeTable


@dataclass(frozen=True)
class KeyMotions:
    """N key poses, one per phoneme, in time order.

    Attributes:
        visemes: N viseme names.
        starts: (N,) float64 phoneme start times in seconds.
        ends: (N,) float64 phoneme end times in seconds.
        poses: (N, 52) float32 ARKit-52 key poses in [0, 1].
        alpha: (N,) float64 dominance magnitudes.
        theta_before: (N,) float64 anticipatory decay rates, 1/s.
        theta_after: (N,) float64 carry-over decay rates, 1/s.
    """

    visemes: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    poses: np.ndarray
    alpha: np.ndarray
    theta_before: np.ndarray
    theta_after: np.ndarray

    @property
    def centres(self) -> np.ndarray:
        """(N,) float64 anchor time of each key (the middle of its phoneme), seconds."""
        return 0.5 * (self.starts + self.ends)

    def __len__(self) -> int:
        return len(self.visemes)

    def window(self, start: float, end: float, margin: float = 1.0) -> "KeyMotions":
        """The keys anchored in [start - margin, end + margin) seconds, re-timed to start at ``start``."""
        keep = np.flatnonzero((self.centres >= start - margin) & (self.centres < end + margin))
        return KeyMotions(
            visemes=tuple(self.visemes[i] for i in keep),
            starts=self.starts[keep] - start,
            ends=self.ends[keep] - start,
            poses=self.poses[keep],
            alpha=self.alpha[keep],
            theta_before=self.theta_before[keep],
            theta_after=self.theta_after[keep],
        )


def key_motions(phonemes: Sequence[PhonemeSegment], table: VisemeTable) -> KeyMotions:
    """Pose the viseme of every phoneme at the phoneme's time span.

    Args:
        phonemes: phoneme segments in time order (e.g. from forced alignment).
        table: the phoneme-to-viseme map with poses and dominance.

    Returns:
        :class:`KeyMotions` with one key per segment (none for an empty sequence).

    Raises:
        ValueError: when the segments are not in time order.
    """
    starts = np.array([p.start for p in phonemes], np.float64)
    if np.any(np.diff(starts) < 0):
        raise ValueError("phoneme segments must be sorted by start time")
    visemes = tuple(table.viseme(p.phone) for p in phonemes)
    dominance = [table.dominance[v] for v in visemes]
    return KeyMotions(
        visemes=visemes,
        starts=starts,
        ends=np.array([p.end for p in phonemes], np.float64),
        poses=np.array([table.poses[v] for v in visemes], np.float32).reshape(-1, 52),
        alpha=np.array([d.alpha for d in dominance], np.float64),
        theta_before=np.array([d.theta_before for d in dominance], np.float64),
        theta_after=np.array([d.theta_after for d in dominance], np.float64),
    )
