"""A user's character as retargeting sees it: its blendshape meshes and their target names.

The formats are read and written by one module each (:mod:`~facemotion.retarget.gltf_character`,
:mod:`~facemotion.retarget.usd_character`); :func:`facemotion.retarget.read_character` dispatches on the suffix.
"""

from dataclasses import dataclass
from pathlib import Path

USD_CHARACTER_SUFFIXES: tuple[str, ...] = (".usd", ".usda", ".usdc")
"""Suffixes of USD characters (and of the stage written for them); here, so that the list needs no USD import."""


@dataclass(frozen=True)
class CharacterMesh:
    """One mesh of a character that has blendshapes.

    Attributes:
        name: what to call it in messages: the glTF mesh's name (or ``mesh <index>``), the USD prim path.
        targets: its K blendshape names in the file's order (glTF ``mesh.extras.targetNames``; USD
            ``skel:blendShapes``).
        key: where the format module finds it again: the glTF mesh index, the USD prim path.
    """

    name: str
    targets: tuple[str, ...]
    key: int | str


@dataclass(frozen=True)
class Character:
    """The blendshape meshes of a character file.

    Attributes:
        path: the file.
        format: ``"gltf"`` or ``"usd"``.
        meshes: the meshes that have at least one named blendshape (never empty).
    """

    path: Path
    format: str
    meshes: tuple[CharacterMesh, ...]

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every blendshape name of every mesh, each once, in file order (a name on several meshes, such as
        ``jawOpen`` on the head and the teeth, is one target)."""
        return tuple(dict.fromkeys(name for mesh in self.meshes for name in mesh.targets))
