"""FACEGOOD captures: real Mandarin read speech with hand-cleaned curves of a 116-channel rig, mapped to ARKit-52.

The capture (FACEGOOD-Audio2Face, MIT, ``code/train/``; copied to ``../shared/data/facegood``) is six pairs
``NAME.wav`` (16 kHz mono) + ``bs_value_NAME.npy`` ((T, 116) float64 in [0, 1] at 30 fps, saved by Python 2),
whose columns are named by ``shirley_1015_bs_name.npy`` (not ``bsname_1119_model_output_order.txt``, the output
order of a model of theirs). The rig's official ARKit correspondence is ``Voice2Face_blendshape2ARkit.xlsx``:
one row per ARKit name with a rig channel or ``max(a,b,...)`` of several, and a Status column; only the mouth and
jaw rows are marked valid, as the capture animates the mouth only.

Rig channels without an ARKit row (our decision, :data:`UNMAPPED_CHANNEL_TERMS`): the rounded-vowel channel
``mouth_oh_c`` is the most active of the rig (std 0.144 over the six takes, max 1.0) and would otherwise be lost,
so it opens the jaw partly and funnels the lips (jawOpen = max(mouth_stretch_c, 0.4 mouth_oh_c), mouthFunnel =
max(funnels, 0.6 mouth_oh_c)); the close-rounded ``mouth_oo_c`` (std 0.049, max 0.80) joins the pucker
(mouthPucker = max(mouth_pucker_l, mouth_pucker_r, mouth_oo_c)). The other unmapped channels stay out: the lower
teeth ``tooth_d_d`` (std 0.019) follow the jaw that ``mouth_stretch_c`` already drives, and the rest are
(nearly) constant in the capture.
"""

import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facemotion.data.clip import MotionClip
from facemotion.data.files import read_array, read_speech, require_file
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX

FACEGOOD_TRAIN: tuple[str, ...] = ("1114_2_01", "1114_2_02", "1114_2_03", "1114_2_04", "1114_2_05")
"""The five ~110 s takes of the first recording session (training takes of the baselines and experiments; the
shipped model of ``make weights`` trains on these and the validation take)."""

FACEGOOD_VALIDATION: tuple[str, ...] = ("1114_3_15",)
"""The 49 s take of another recording session, held out by the baselines and experiments."""

FACEGOOD_FPS = 30.0
"""Frame rate of the rig curves."""

FACEGOOD_CHANNEL_NAMES = "shirley_1015_bs_name.npy"
"""The file naming the 116 columns of ``bs_value_NAME.npy``, in order."""

FACEGOOD_MAPPING = "Voice2Face_blendshape2ARkit.xlsx"
"""The rig's official ARKit correspondence."""

Terms = tuple[tuple[str, float], ...]
"""``((rig channel, gain), ...)``: an ARKit weight is the maximum of ``gain * channel`` over its terms."""

UNMAPPED_CHANNEL_TERMS: dict[str, Terms] = {
    "jawOpen": (("mouth_oh_c", 0.4),),
    "mouthFunnel": (("mouth_oh_c", 0.6),),
    "mouthPucker": (("mouth_oo_c", 1.0),),
}
"""Extra terms for rig channels without an ARKit row (see the module docstring for why and the measured spread)."""

_VALID, _INVALID = "valid", "invalid"
_CHANNEL = r"[A-Za-z_]\w*"
_MAX = re.compile(r"max\s*\((.*)\)", re.IGNORECASE)


@dataclass(frozen=True)
class ARKitMapping:
    """Rig channels to ARKit-52: each mapped ARKit weight is the maximum of ``gain * channel`` over its terms.

    Attributes:
        terms: ``{ARKit name: ((rig channel, gain), ...)}`` for the ARKit channels with valid ground truth;
            gains in (0, 1], so weights stay in [0, 1].

    Raises:
        ValueError: for a name outside ARKit-52, an empty term list, or a gain outside (0, 1].
    """

    terms: Mapping[str, Terms]

    def __post_init__(self) -> None:
        for name, terms in self.terms.items():
            if name not in ARKIT_INDEX:
                raise ValueError(f"{name!r} is not an ARKit-52 name")
            if not terms or any(not 0.0 < gain <= 1.0 for _, gain in terms):
                raise ValueError(f"{name}: needs at least one term, with gains in (0, 1], got {terms}")

    @property
    def mask(self) -> np.ndarray:
        """(52,) bool, True on the ARKit channels this mapping drives (Apple's order)."""
        mask = np.zeros(len(ARKIT_52), bool)
        mask[[ARKIT_INDEX[name] for name in self.terms]] = True
        return mask

    def apply(self, values: np.ndarray, channel_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Map rig curves to ARKit-52.

        Args:
            values: (T, C) rig weights in [0, 1], any float dtype.
            channel_names: the C rig channel names of the columns.

        Returns:
            weights (T, 52) float32 in [0, 1] in Apple's order (0 on unmapped channels), and :attr:`mask`.

        Raises:
            ValueError: ``values`` is not (T, len(channel_names)) finite numbers in [0, 1], or a channel the
                mapping needs is missing (named).
        """
        values = np.asarray(values)
        if values.ndim != 2 or values.shape[1] != len(channel_names):
            raise ValueError(f"values must be (T, {len(channel_names)}) for the channel names, got {values.shape}")
        if not np.isfinite(values).all() or (values.size and (values.min() < 0 or values.max() > 1)):
            raise ValueError("rig values must be finite and lie in [0, 1]")
        column = {name: i for i, name in enumerate(channel_names)}
        missing = sorted({channel for terms in self.terms.values() for channel, _ in terms} - set(column))
        if missing:
            raise ValueError(f"the rig curves lack the channels {missing} of the ARKit mapping")
        weights = np.zeros((len(values), len(ARKIT_52)), np.float32)
        for name, terms in self.terms.items():
            weights[:, ARKIT_INDEX[name]] = np.max([gain * values[:, column[c]] for c, gain in terms], axis=0)
        return weights, self.mask


def read_arkit_mapping(
    xlsx_path: str | Path, extra_terms: Mapping[str, Terms] = UNMAPPED_CHANNEL_TERMS
) -> ARKitMapping:
    """Read ``Voice2Face_blendshape2ARkit.xlsx``, keeping the rows marked valid (mouth and jaw).

    The first sheet has a header row with the columns ``ARKIT``, ``Voice2Face`` and ``Status`` (found by name,
    case-insensitively); below it, rows with Status ``valid`` or ``Invalid`` map an ARKit name (matched
    case-insensitively: the sheet spells ``browDownleft``) to a rig channel or ``max(a,b,...)``. Rows without a
    status (notes, blanks) are skipped.

    Args:
        xlsx_path: the spreadsheet.
        extra_terms: terms added to valid rows, for rig channels without an ARKit row (gain 1 for sheet terms).

    Returns:
        The :class:`ARKitMapping` of the valid rows plus ``extra_terms``.

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: it is not an xlsx workbook, has no header row, a status is neither valid nor invalid, an
            ARKit name is unknown or repeated, an expression is not a channel or ``max(...)`` of channels, or
            ``extra_terms`` names an ARKit channel without a valid row.
        ModuleNotFoundError: openpyxl is not installed (it comes with ``pip install facemotion[train]``).
    """
    path = require_file(Path(xlsx_path))
    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"reading {path.name} needs openpyxl, a training dependency: pip install 'facemotion[train]'",
            name=error.name,
        ) from error
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{path} is not a readable xlsx workbook: {error}") from None
    try:
        rows = [
            tuple("" if cell is None else str(cell).strip() for cell in row)
            for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    terms = _valid_rows(rows, path)
    for name, extra in extra_terms.items():
        if name not in terms:
            raise ValueError(f"extra terms for {name!r}, which has no valid row in {path}")
        terms[name] = terms[name] + tuple(extra)
    return ARKitMapping(terms)


def _valid_rows(rows: list[tuple[str, ...]], path: Path) -> dict[str, Terms]:
    """``{ARKit name: ((channel, 1.0), ...)}`` of the rows marked valid, below the header row."""
    lowered = [tuple(cell.lower() for cell in row) for row in rows]
    header = next((i for i, row in enumerate(lowered) if {"arkit", "voice2face", "status"} <= set(row)), None)
    if header is None:
        raise ValueError(f"{path}: no header row with the columns ARKIT, Voice2Face and Status")
    arkit_col, expr_col, status_col = (lowered[header].index(c) for c in ("arkit", "voice2face", "status"))
    by_lower = {name.lower(): name for name in ARKIT_52}
    terms: dict[str, Terms] = {}
    for number, row in enumerate(rows[header + 1 :], start=header + 2):
        cells = row + ("",) * (max(arkit_col, expr_col, status_col) + 1 - len(row))
        status = cells[status_col].lower()
        if status not in (_VALID, _INVALID):
            if status:
                raise ValueError(f"{path} row {number}: status must be valid or Invalid, got {cells[status_col]!r}")
            continue
        name = by_lower.get(cells[arkit_col].lower())
        if name is None:
            raise ValueError(f"{path} row {number}: {cells[arkit_col]!r} is not an ARKit-52 name")
        if status == _VALID:
            if name in terms:
                raise ValueError(f"{path} row {number}: a second valid row for {name}")
            terms[name] = tuple((channel, 1.0) for channel in _parse_expression(cells[expr_col], path, number))
    return terms


def _parse_expression(text: str, path: Path, number: int) -> tuple[str, ...]:
    """``"a"`` -> ``("a",)``; ``"max(a, b)"`` -> ``("a", "b")``."""
    match = _MAX.fullmatch(text)
    channels = tuple(part.strip() for part in match.group(1).split(",")) if match else (text,)
    if not all(re.fullmatch(_CHANNEL, channel) for channel in channels):
        raise ValueError(f"{path} row {number}: expected a rig channel or max(a,b,...), got {text!r}")
    return channels


def load_facegood(root: str | Path, name: str, extra_terms: Mapping[str, Terms] = UNMAPPED_CHANNEL_TERMS) -> MotionClip:
    """Load one FACEGOOD take as an ARKit-52 clip.

    Args:
        root: the folder holding ``NAME.wav``, ``bs_value_NAME.npy``, :data:`FACEGOOD_CHANNEL_NAMES` and
            :data:`FACEGOOD_MAPPING` (``../shared/data/facegood``).
        name: the take, e.g. ``"1114_2_01"`` (:data:`FACEGOOD_TRAIN`, :data:`FACEGOOD_VALIDATION`).
        extra_terms: as :func:`read_arkit_mapping`; ``{}`` keeps the spreadsheet's valid rows alone.

    Returns:
        A clip with ``"arkit"`` motion (T, 52) float32 at 30 fps through :func:`read_arkit_mapping`,
        ``channel_mask`` True on the mapped mouth and jaw channels only, audio (S,) float32 at 16 kHz,
        subject ``"facegood"``.

    Raises:
        FileNotFoundError: ``root`` or one of the files is missing (named).
        ValueError: the curves do not have one column per channel name, their values leave [0, 1], the
            spreadsheet is malformed, or audio and motion lengths differ by more than 1 s.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no FACEGOOD folder at {root}")
    values_file = root / f"bs_value_{name}.npy"
    values = read_array(values_file)
    channel_names = [str(channel) for channel in read_array(root / FACEGOOD_CHANNEL_NAMES, numeric=False)]
    if values.ndim != 2 or values.shape[1] != len(channel_names):
        raise ValueError(
            f"{values_file} has shape {values.shape}, expected (T, {len(channel_names)}) columns "
            f"named by {FACEGOOD_CHANNEL_NAMES}"
        )
    weights, mask = read_arkit_mapping(root / FACEGOOD_MAPPING, extra_terms).apply(values, channel_names)
    audio = read_speech(root / f"{name}.wav", len(weights), FACEGOOD_FPS, values_file)
    return MotionClip(
        name=name,
        audio=audio,
        fps=FACEGOOD_FPS,
        motion=weights,
        representation="arkit",
        subject="facegood",
        channel_mask=mask,
    )
