"""Channel mappings: how ARKit-52 curves drive the blendshapes of a user's character.

A :class:`ChannelMapping` names, for each *target* blendshape of a character, a linear combination of ARKit
*source* channels::

    target_k(t) = clip( sum_j  w_kj * source_j(t),  0, 1 )

The sum is clipped to [0, 1] after combining (a combination such as ``ee = 0.5 jawOpen + 0.5 mouthStretch``
can exceed 1; a negative weight can push it below 0). Clipping is the only non-linear step; a target with a
single source of weight 1 receives the source's curve exactly.

Mappings are written in YAML (``assets/mappings/*.yaml`` ships four: ``arkit``, ``livelink``, ``lr_suffix``,
``vrm_visemes``)::

    description: one line saying which rigs this is for      # optional
    targets:
      eyeBlink_L: eyeBlinkLeft                               # one source, weight 1
      ee: {mouthStretchLeft: 0.5, mouthStretchRight: 0.5, jawOpen: 0.5}   # a weighted sum

Sources must be ARKit-52 names exactly as Apple spells them (:data:`~facemotion.face_models.names.ARKIT_52`);
anything else is refused with the offending names listed. Target names are free: a target the character lacks
is reported (not an error) by :func:`facemotion.retarget.retarget`.

A character whose blendshapes already carry ARKit names, exactly or differing only in case (``jawOpen``,
``JawOpen``, ``JAWOPEN``), needs no file: :func:`auto_mapping` matches them.
"""

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType

import numpy as np
import yaml

from facemotion.animation import FaceAnimation
from facemotion.face_models.names import ARKIT_52, ARKIT_INDEX

SHIPPED_MAPPINGS: tuple[str, ...] = ("arkit", "livelink", "lr_suffix", "vrm_visemes")
"""Names of the mappings in ``assets/mappings/`` (:func:`load_mapping` takes them)."""

MAPPING_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
"""Suffixes of mapping files."""

Terms = tuple[tuple[str, float], ...]
"""The (ARKit source channel, weight) pairs of one target."""


@dataclass(frozen=True)
class ChannelMapping:
    """Target blendshape name -> linear combination of ARKit source channels, clipped to [0, 1].

    Attributes:
        targets: target name -> non-empty tuple of ``(source, weight)`` pairs: ``source`` an ARKit-52 name
            (Apple's spelling), ``weight`` a finite float (may be negative or above 1), each source at most
            once per target. Stored read-only; a ``dict`` of lists is accepted and converted.
        name: what to call the mapping in messages (the file's stem for a loaded file).

    Raises:
        ValueError: for no targets, an empty or non-string target name, a target without sources, a source
            that is not an ARKit-52 channel (all such sources are named), a weight that is not a finite
            number, or a source repeated within a target.
    """

    targets: Mapping[str, Terms]
    name: str = field(default="custom")

    def __post_init__(self) -> None:
        if not isinstance(self.targets, Mapping) or not self.targets:
            raise ValueError(f"mapping {self.name!r} has no targets")
        frozen: dict[str, Terms] = {}
        unknown: dict[str, list[str]] = {}
        for target, terms in self.targets.items():
            if not isinstance(target, str) or not target:
                raise ValueError(f"mapping {self.name!r}: target names must be non-empty strings, got {target!r}")
            pairs = tuple(terms)
            if not pairs:
                raise ValueError(f"mapping {self.name!r}: target {target!r} has no source channels")
            checked = []
            for pair in pairs:
                source, weight = _pair(self.name, target, pair)
                if source not in ARKIT_INDEX:
                    unknown.setdefault(source, []).append(target)
                checked.append((source, weight))
            sources = [source for source, _ in checked]
            if len(set(sources)) != len(sources):
                raise ValueError(f"mapping {self.name!r}: target {target!r} repeats a source channel: {sources}")
            frozen[target] = tuple(checked)
        if unknown:
            named = ", ".join(f"{source!r} (in {', '.join(targets)})" for source, targets in unknown.items())
            raise ValueError(f"mapping {self.name!r} names source channels that are not ARKit-52 channels: {named}")
        object.__setattr__(self, "targets", MappingProxyType(frozen))

    @classmethod
    def identity(cls, names: Iterable[str] = ARKIT_52, name: str = "arkit") -> "ChannelMapping":
        """Each ARKit channel in ``names`` drives the target of the same name with weight 1.

        Raises:
            ValueError: when a name is not an ARKit-52 channel.
        """
        return cls({channel: ((channel, 1.0),) for channel in names}, name=name)

    @classmethod
    def from_dict(cls, raw: object, name: str = "custom") -> "ChannelMapping":
        """A mapping from the parsed YAML layout of the module docstring.

        Args:
            raw: ``{"targets": {target: source | {source: weight}}, "description": str}`` (description
                optional).
            name: the mapping's name in messages.

        Raises:
            ValueError: for another layout (unknown keys, a target that is neither a source name nor a
                ``{source: weight}`` table) or for anything :class:`ChannelMapping` refuses.
        """
        if not isinstance(raw, Mapping) or "targets" not in raw:
            raise ValueError(f"mapping {name!r} must be a YAML table with a 'targets' table")
        extra = sorted(str(key) for key in raw if key not in ("targets", "description"))
        if extra:
            raise ValueError(f"mapping {name!r} has unknown keys {extra}; expected 'targets' and 'description'")
        targets = raw["targets"]
        if not isinstance(targets, Mapping):
            raise ValueError(f"mapping {name!r}: 'targets' must be a table of target: source(s)")
        parsed: dict[str, list[tuple[str, float]]] = {}
        for target, value in targets.items():
            if isinstance(value, str):
                parsed[target] = [(value, 1.0)]
            elif isinstance(value, Mapping):
                parsed[target] = list(value.items())
            else:
                raise ValueError(
                    f"mapping {name!r}: target {target!r} must map to an ARKit channel name or a table "
                    f"{{channel: weight}}, got {value!r}"
                )
        return cls(parsed, name=name)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> "ChannelMapping":
        """Read a mapping file (layout in the module docstring); its name is the file's stem.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: the file is not valid YAML or not a valid mapping (the message says why).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no such mapping file: {path}")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise ValueError(f"mapping file {path} is not readable YAML: {error}".splitlines()[0]) from None
        return cls.from_dict(raw, name=path.stem)

    @property
    def sources(self) -> tuple[str, ...]:
        """The ARKit channels some target reads, in Apple's order."""
        used = {source for terms in self.targets.values() for source, _ in terms}
        return tuple(name for name in ARKIT_52 if name in used)

    def matrix(self, channel_names: Sequence[str], targets: Sequence[str]) -> np.ndarray:
        """The (C, K) float64 matrix ``M`` with ``target weights = clip(weights @ M, 0, 1)``.

        Args:
            channel_names: the C channels of an animation; a source the animation lacks contributes 0.
            targets: K target names, each one of :attr:`targets`.

        Raises:
            KeyError: a name in ``targets`` is not a target of this mapping.
        """
        column = {name: c for c, name in enumerate(channel_names)}
        m = np.zeros((len(channel_names), len(targets)), np.float64)
        for k, target in enumerate(targets):
            if target not in self.targets:
                raise KeyError(f"{target!r} is not a target of mapping {self.name!r}")
            for source, weight in self.targets[target]:
                if source in column:
                    m[column[source], k] += weight
        return m

    def apply(self, animation: FaceAnimation, targets: Sequence[str]) -> np.ndarray:
        """The target weights of every frame: ``clip(sum_j w_kj * source_j, 0, 1)``.

        The sum is taken in float64 and rounded once to float32, so a target with one source of weight 1
        gets the source's float32 values exactly. Sources the animation has no channel for contribute 0.

        Args:
            animation: weights (T, C) float32 in [0, 1].
            targets: K target names, each one of :attr:`targets`.

        Returns:
            (T, K) float32 in [0, 1].

        Raises:
            KeyError: a name in ``targets`` is not a target of this mapping.
        """
        combined = animation.weights.astype(np.float64) @ self.matrix(animation.channel_names, targets)
        return np.clip(combined, 0.0, 1.0).astype(np.float32)


def auto_mapping(target_names: Iterable[str]) -> ChannelMapping | None:
    """The identity mapping onto the targets that carry ARKit names, exactly or ignoring case.

    ``jawOpen``, ``JawOpen`` and ``JAWOPEN`` all take the ``jawOpen`` curve; names with prefixes or suffixes
    (``ARKit_jawOpen``, ``jawOpen_L``) are not guessed: they need a mapping file.

    Args:
        target_names: the character's blendshape names.

    Returns:
        A :class:`ChannelMapping` named ``"auto"`` over the matching targets, or ``None`` when none matches.
    """
    by_lower = {name.lower(): name for name in ARKIT_52}
    targets = {}
    for target in target_names:
        source = target if target in ARKIT_INDEX else by_lower.get(target.lower())
        if source is not None:
            targets[target] = ((source, 1.0),)
    return ChannelMapping(targets, name="auto") if targets else None


def mapping_path(name: str) -> Path:
    """The file of a shipped mapping, ``assets/mappings/<name>.yaml``.

    Raises:
        ValueError: ``name`` is not one of :data:`SHIPPED_MAPPINGS`.
    """
    if name not in SHIPPED_MAPPINGS:
        raise ValueError(
            f"unknown mapping {name!r}; shipped mappings are {list(SHIPPED_MAPPINGS)}, or give a .yaml file"
        )
    return Path(str(files("facemotion.assets") / "mappings" / f"{name}.yaml"))


def load_mapping(name_or_path: "str | os.PathLike | ChannelMapping") -> ChannelMapping:
    """A shipped mapping by name (:data:`SHIPPED_MAPPINGS`) or a mapping file by path.

    A shipped name wins; otherwise a path object, a string ending in ``.yaml``/``.yml`` or a string naming an
    existing file is read as a file. A :class:`ChannelMapping` is returned as is.

    Raises:
        FileNotFoundError: a mapping file that does not exist.
        ValueError: an unknown name (the shipped ones are listed) or an invalid file.
    """
    if isinstance(name_or_path, ChannelMapping):
        return name_or_path
    if isinstance(name_or_path, str) and name_or_path in SHIPPED_MAPPINGS:
        return ChannelMapping.from_yaml(mapping_path(name_or_path))
    path = Path(name_or_path)
    if isinstance(name_or_path, os.PathLike) or path.suffix.lower() in MAPPING_SUFFIXES or path.is_file():
        return ChannelMapping.from_yaml(path)
    return ChannelMapping.from_yaml(mapping_path(str(name_or_path)))  # raises: unknown name


def _pair(mapping: str, target: str, pair: object) -> tuple[str, float]:
    """Check one ``(source, weight)`` pair; weight as float."""
    if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
        raise ValueError(f"mapping {mapping!r}: target {target!r} needs (source, weight) pairs, got {pair!r}")
    source, weight = pair
    if not isinstance(source, str):
        raise ValueError(f"mapping {mapping!r}: target {target!r} has a source that is not a name: {source!r}")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
        raise ValueError(
            f"mapping {mapping!r}: weight of {source!r} in {target!r} must be a finite number, got {weight!r}"
        )
    return source, float(weight)
