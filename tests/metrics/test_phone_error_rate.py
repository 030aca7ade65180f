"""Phone error rate against a reference written by hand."""

import pytest

from facemotion.metrics.phone_error_rate import phone_error_rate


def test_edits_over_the_reference_length_pauses_ignored():
    reference = ["SIL", "P", "AE", "T", "SIL"]
    assert phone_error_rate(reference, ["P", "AE", "T"]) == 0.0
    assert phone_error_rate(reference, ["B", "AE", "T"]) == pytest.approx(1 / 3)  # one substitution
    assert phone_error_rate(reference, ["P", "T"]) == pytest.approx(1 / 3)  # one deletion
    assert phone_error_rate(reference, ["P", "AE", "AE", "T", "S", "SIL"]) == pytest.approx(2 / 3)  # two insertions


def test_a_reference_without_phones_is_refused():
    with pytest.raises(ValueError, match="no phones"):
        phone_error_rate(["SIL"], ["P"])
