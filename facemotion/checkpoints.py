"""Model folders as Hugging Face's ``save_pretrained`` writes them: ``config.json`` + ``model.safetensors``.

As diffusers' ``ConfigMixin`` does, ``config.json`` says what the folder holds: the model's class name
(``_class_name``) and the version of the folder layout (``_format_version``, :data:`FORMAT_VERSION`); a folder of
another class or of a newer layout is refused with a one-line ``ValueError`` instead of failing deep inside.
Shared by the learned motion model and the lip-sync expert. Each file is written atomically
(:func:`~facemotion.exporters.atomic.atomic_output`), so an interrupted save never leaves half a folder's file.
"""

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import safetensors.torch
import torch

from facemotion.exporters.atomic import atomic_output

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"

FORMAT_VERSION = 1
"""The folder layout facemotion writes and reads; folders written before the header existed read as version 1."""


def save_model_folder(
    directory: str | Path, class_name: str, config: dict, state: dict[str, torch.Tensor],
    dtype: torch.dtype = torch.float32,
) -> Path:
    """Write a config (JSON-serialisable dict) and tensors into ``directory`` (created).

    Args:
        directory: the folder.
        class_name: the model's class, recorded as ``_class_name`` beside ``_format_version``.
        config: the model's configuration.
        state: name -> tensor; floating-point tensors are stored as ``dtype`` (``torch.float16`` halves the file).
        dtype: floating-point storage type.

    Returns:
        ``Path(directory)``.

    Raises:
        ValueError: for a dtype that is not floating point.
    """
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be floating point, got {dtype}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stored = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    with atomic_output(directory / WEIGHTS_FILE) as path:
        safetensors.torch.save_file(stored, path)
    with atomic_output(directory / CONFIG_FILE) as path:
        header = {"_class_name": class_name, "_format_version": FORMAT_VERSION}
        path.write_text(json.dumps({**header, **config}, indent=2))
    return directory


def read_model_folder(directory: str | Path, class_name: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """The config dict (without its header) and the float32 (floating-point) tensors of a folder written by
    :func:`save_model_folder`.

    Args:
        directory: the folder.
        class_name: the class the folder should hold (``config.json``'s ``_class_name``; folders without the header
            are taken as holding it).

    Raises:
        FileNotFoundError: when the folder or one of its two files is missing.
        ValueError: when ``config.json`` is not a JSON object, names another class or a format version newer than
            :data:`FORMAT_VERSION`, or ``model.safetensors`` is not a safetensors file (the file named).
    """
    directory = Path(directory)
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name} not found: not a {class_name} folder")
    try:
        config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{directory / CONFIG_FILE}: not a JSON file ({error})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{directory / CONFIG_FILE}: expected a JSON object, got {type(config).__name__}")
    found, version = config.pop("_class_name", class_name), config.pop("_format_version", 1)
    if found != class_name:
        raise ValueError(f"{directory / CONFIG_FILE}: the folder holds a {found}, not a {class_name}")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(f"{directory / CONFIG_FILE}: folder format version {version!r}; this facemotion reads "
                         f"versions 1 to {FORMAT_VERSION} (upgrade facemotion for a newer one)")
    try:
        state = safetensors.torch.load_file(directory / WEIGHTS_FILE)
    except Exception as error:  # safetensors raises its own SafetensorError, OSError or RuntimeError
        raise ValueError(f"{directory / WEIGHTS_FILE}: not a safetensors file ({error})".splitlines()[0]) from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    return config, state


def build_from_config(directory: str | Path, build: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """``build()``, with the TypeError or ValueError a bad config gives turned into a ValueError naming
    ``<directory>/config.json`` (an unknown key, a value of the wrong type or out of range)."""
    try:
        return build()
    except (TypeError, ValueError) as error:
        raise ValueError(f"{Path(directory) / CONFIG_FILE}: not a valid config ({error})") from None


def load_weights(
    model: torch.nn.Module, state: dict[str, torch.Tensor], directory: str | Path, optional: tuple[str, ...] = ()
) -> None:
    """Load ``state`` into ``model``, checking first that every tensor fits.

    Args:
        model: the module built from the folder's config.
        state: name -> tensor, as :func:`read_model_folder` returns it.
        directory: the folder, named in the error.
        optional: name prefixes of tensors the folder may leave out (e.g. a frozen speech encoder loaded
            from its own path).

    Raises:
        ValueError: naming ``<directory>/model.safetensors`` and the first tensors that are missing, unexpected
            or of another shape than the config gives.
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not k.startswith(optional)]
    unexpected = [k for k in state if k not in expected]
    misshapen = [
        f"{k} {tuple(v.shape)} (config: {tuple(expected[k].shape)})"
        for k, v in state.items() if k in expected and v.shape != expected[k].shape
    ]
    problems = [f"{label} {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"
                for label, names in (("missing", missing), ("unexpected", unexpected), ("wrong shape", misshapen))
                if names]
    if problems:
        raise ValueError(f"{Path(directory) / WEIGHTS_FILE}: weights do not fit {CONFIG_FILE}: {'; '.join(problems)}")
    model.load_state_dict(state, strict=False)


def config_from_dict(cls: type, values: dict, section: str = ""):
    """The frozen dataclass ``cls`` from a dict of its fields (one level; nested sections are the caller's).

    Raises:
        ValueError: for keys that are not fields of ``cls`` (named, with ``section``) or a dict that is not one.
    """
    if not isinstance(values, dict):
        raise ValueError(f"{section or cls.__name__} must be a mapping, got {type(values).__name__}")
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ValueError(f"unknown keys {unknown}{f' in {section}' if section else ''}")
    return cls(**values)
