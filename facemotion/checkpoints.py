"""Model folders as Hugging Face's ``save_pretrained`` writes them: ``config.json`` + ``model.safetensors``.

Shared by the learned motion model and the lip-sync expert. Each file is written atomically
(:func:`~facemotion.exporters.atomic.atomic_output`), so an interrupted save never leaves half a folder's file.
"""

import json
from pathlib import Path

import safetensors.torch
import torch

from facemotion.exporters.atomic import atomic_output

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save_model_folder(
    directory: str | Path, config: dict, state: dict[str, torch.Tensor], dtype: torch.dtype = torch.float32
) -> Path:
    """Write a config (JSON-serialisable dict) and tensors into ``directory`` (created).

    Args:
        directory: the folder.
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
        path.write_text(json.dumps(config, indent=2))
    return directory


def read_model_folder(directory: str | Path, kind: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """The config dict and the float32 (floating-point) tensors of a folder written by :func:`save_model_folder`.

    Args:
        directory: the folder.
        kind: what the folder should hold, for the error message (e.g. ``"facemotion model"``).

    Raises:
        FileNotFoundError: when the folder or one of its two files is missing.
    """
    directory = Path(directory)
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name} not found: not a {kind} folder")
    state = safetensors.torch.load_file(directory / WEIGHTS_FILE)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    return json.loads((directory / CONFIG_FILE).read_text()), state
