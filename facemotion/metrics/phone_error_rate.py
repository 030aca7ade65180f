"""Phone error rate: how far recognised phones are from a reference phone sequence."""

from collections.abc import Sequence

import numpy as np

from facemotion.text.phonemes import SILENCE


def phone_error_rate(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """Levenshtein distance between two phone strings, pauses (:data:`SILENCE`) removed, over the reference length.

    The usual phone error rate of speech recognition (substitutions + deletions + insertions over the number of
    reference phones, e.g. Lee and Hon, 1989, on TIMIT); it can exceed 1 when the hypothesis inserts many phones.

    Args:
        reference: phone labels in time order (ARPAbet), e.g. a forced alignment of the true transcript.
        hypothesis: recognised phone labels in time order.

    Returns:
        The rate, a float >= 0.

    Raises:
        ValueError: when the reference has no phone besides pauses.
    """
    ref = [p for p in reference if p != SILENCE]
    hyp = [p for p in hypothesis if p != SILENCE]
    if not ref:
        raise ValueError("the reference has no phones")
    row = np.arange(len(hyp) + 1)
    for i, phone in enumerate(ref, 1):
        previous, row = row, np.empty_like(row)
        row[0] = i
        for j, other in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (phone != other))
    return float(row[-1] / len(ref))
