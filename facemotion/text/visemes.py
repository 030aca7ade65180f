"""Visemes: the phoneme-to-viseme table and the ARKit pose of each viseme.

The tables live in ``assets/visemes.yaml`` (readable and editable by an animator); this module loads and
checks them; the phones of languages other than English (IPA) find their visemes in
``assets/ipa_visemes.yaml`` (:mod:`facemotion.text.ipa`). Viseme set: the 15 visemes of Meta's Oculus LipSync
("Viseme Reference", Oculus developer documentation): sil PP FF TH DD kk CH SS nn RR aa E ih oh ou.
"""

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import yaml

from facemotion.exporters.atomic import atomic_output
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX
from facemotion.text.ipa import ipa_viseme
from facemotion.text.phonemes import ARPABET, SILENCE

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader in libyaml's C (in PyYAML's wheels) where present: the table loads once per take, in 3 ms
instead of 28 ms."""

VISEMES: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
)
"""The 15 Oculus LipSync visemes."""

BILABIAL_VISEME = "PP"
"""The viseme of /p b m/, whose lips must meet."""

SILENCE_VISEME = "sil"
"""The viseme of pauses."""


@dataclass(frozen=True)
class Dominance:
    """Cohen-Massaro dominance of a viseme: ``alpha * exp(-theta * |t - centre|)``.

    Attributes:
        alpha: magnitude (> 0, unitless).
        theta_before: decay rate ahead of the centre (anticipatory coarticulation), 1/s, > 0.
        theta_after: decay rate behind the centre (carry-over coarticulation), 1/s, > 0.
    """

    alpha: float
    theta_before: float
    theta_after: float


@dataclass(frozen=True)
class VisemeTable:
    """Phoneme-to-viseme map, ARKit pose and dominance of every viseme.

    Attributes:
        phoneme_to_viseme: ARPAbet phoneme (and ``SIL``) to viseme name.
        poses: viseme name to a (52,) float32 ARKit-52 pose in [0, 1].
        dominance: viseme name to its :class:`Dominance`.
    """

    phoneme_to_viseme: dict[str, str]
    poses: dict[str, np.ndarray]
    dominance: dict[str, Dominance]

    def viseme(self, phone: str) -> str:
        """The viseme of a phone: ARPAbet and ``SIL`` from :attr:`phoneme_to_viseme`, the IPA phones of other
        languages from the one language-independent table ``assets/ipa_visemes.yaml``
        (:func:`facemotion.text.ipa.ipa_viseme`).

        Raises:
            KeyError: for a phone in neither.
        """
        if phone in self.phoneme_to_viseme:
            return self.phoneme_to_viseme[phone]
        return ipa_viseme(phone)


def default_viseme_table_path() -> Path:
    """The table shipped with facemotion (``assets/visemes.yaml``)."""
    return Path(str(files("facemotion.assets") / "visemes.yaml"))


def load_viseme_table(path: str | Path | None = None) -> VisemeTable:
    """Load and check a viseme table (the shipped one when ``path`` is None).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when a phoneme or viseme is missing or unknown, a pose names a channel that is
            not ARKit-52, a weight lies outside [0, 1], or a dominance parameter is not > 0.
    """
    path = Path(path) if path is not None else default_viseme_table_path()
    if not path.is_file():
        raise FileNotFoundError(f"viseme table not found: {path}")
    raw = yaml.load(path.read_text(), Loader=_SAFE_LOADER)
    mapping = dict(raw["phoneme_to_viseme"])
    expected = {*ARPABET, SILENCE}
    if set(mapping) != expected or not set(mapping.values()) <= set(VISEMES):
        raise ValueError(f"{path}: phoneme_to_viseme must map exactly {sorted(expected)} to {VISEMES}")
    for section in ("poses", "dominance"):
        if set(raw[section]) != set(VISEMES):
            raise ValueError(f"{path}: {section} must list exactly the visemes {VISEMES}")
    poses = {viseme: _pose(viseme, values or {}) for viseme, values in raw["poses"].items()}
    dominance = {viseme: Dominance(**params) for viseme, params in raw["dominance"].items()}
    for viseme, d in dominance.items():
        if min(d.alpha, d.theta_before, d.theta_after) <= 0:
            raise ValueError(f"{path}: dominance of {viseme} must have alpha and theta > 0")
    return VisemeTable(mapping, poses, dominance)


def save_viseme_table(table: VisemeTable, path: str | Path, header: str = "") -> Path:
    """Write a table as :func:`load_viseme_table` reads it (atomically); it loads back to identical arrays.

    Pose weights are written as the shortest decimal that reads back to the same float32 (channels at 0 are left
    out, as in the shipped file). Used to store the table a learned model was trained with beside its weights.

    Args:
        table: the table.
        path: the YAML file to write (its folder must exist).
        header: text written first as ``#`` comment lines (e.g. where the table comes from).

    Returns:
        ``Path(path)``.
    """
    mapping = {"phoneme_to_viseme": dict(table.phoneme_to_viseme)}
    raw = {
        "poses": {
            viseme: {name: float(str(pose[i])) for i, name in enumerate(ARKIT_52) if pose[i] != 0}
            for viseme, pose in table.poses.items()
        },
        "dominance": {
            viseme: {"alpha": d.alpha, "theta_before": d.theta_before, "theta_after": d.theta_after}
            for viseme, d in table.dominance.items()
        },
    }
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    with atomic_output(path) as tmp:
        tmp.write_text(
            comments
            + yaml.safe_dump(mapping, sort_keys=False)
            + yaml.safe_dump(raw, sort_keys=False, default_flow_style=None, width=200)
        )
    return Path(path)


def _pose(viseme: str, values: dict[str, float]) -> np.ndarray:
    pose = np.zeros(len(ARKIT_52), np.float32)
    for name, weight in values.items():
        if name not in ARKIT_INDEX:
            raise ValueError(f"pose {viseme}: {name!r} is not an ARKit-52 blendshape")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"pose {viseme}: {name} = {weight} lies outside [0, 1]")
        pose[ARKIT_INDEX[name]] = weight
    return pose
