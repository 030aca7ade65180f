"""What an export needs beyond the animation: the head, the length unit, the USD flavour."""

from dataclasses import dataclass

from facemotion.face_models.base import BlendshapeMesh

UNIT_SCALES: dict[str, float] = {"m": 1.0, "cm": 100.0}
"""File units per metre of each length unit mesh exporters can write (facemotion works in metres)."""


@dataclass(frozen=True)
class ExportOptions:
    """Settings shared by the exporters; each format reads the ones it supports.

    Attributes:
        mesh: the head for mesh formats (USD, glTF, FBX); ``None`` takes the default head
            (:func:`~facemotion.face_models.rig_file.default_head_mesh`).
        units: length unit of the written mesh, ``"m"`` or ``"cm"`` (Unreal and Maya default to
            centimetres); USD records it in ``metersPerUnit``, FBX in its unit scale. glTF is metres by
            specification.
        point_cache: USD writes the evaluated mesh points per frame instead of blendshapes, for tools that
            do not read UsdSkel blendshapes.

    Raises:
        ValueError: for a unit outside :data:`UNIT_SCALES`.
    """

    mesh: BlendshapeMesh | None = None
    units: str = "m"
    point_cache: bool = False

    def __post_init__(self) -> None:
        if self.units not in UNIT_SCALES:
            raise ValueError(f"units must be one of {sorted(UNIT_SCALES)}, got {self.units!r}")

    @property
    def scale(self) -> float:
        """File units per metre."""
        return UNIT_SCALES[self.units]

    def head(self) -> BlendshapeMesh:
        """The mesh to write: :attr:`mesh`, or the default head when it is None."""
        if self.mesh is not None:
            return self.mesh
        from facemotion.face_models.rig_file import default_head_mesh

        return default_head_mesh()
