"""Loading a pretrained LRS3 lip-reader front end from a state dict in the Auto-AVSR key layout (synthetic)."""

import pytest
import torch

from facemotion.lipreading.vsr_checkpoint import load_vsr_frontend, vsr_frontend_state


def auto_avsr_state(prefix: str = "encoder.frontend.", prelu: bool = False, seed: int = 0) -> dict:
    """Random tensors under the keys and shapes of Auto-AVSR's Conv3dResNet front end (``conv3d_extractor.py``,
    ``backbones/modules/resnet.py``), written out from the published code, plus other entries of an E2E model."""
    generator = torch.Generator().manual_seed(seed)

    def tensor(*shape):
        return torch.randn(*shape, generator=generator)

    def batch_norm(name, channels):
        return {
            f"{name}.weight": 1 + 0.1 * tensor(channels),
            f"{name}.bias": tensor(channels),
            f"{name}.running_mean": 0.1 * tensor(channels),
            f"{name}.running_var": 1 + tensor(channels).abs(),
            f"{name}.num_batches_tracked": torch.tensor(1000),
        }

    state = {"frontend3D.0.weight": 0.05 * tensor(64, 1, 5, 7, 7), **batch_norm("frontend3D.1", 64)}
    inplanes = 64
    for layer, planes in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            name = f"trunk.layer{layer}.{block}"
            state[f"{name}.conv1.weight"] = 0.05 * tensor(planes, inplanes if block == 0 else planes, 3, 3)
            state.update(batch_norm(f"{name}.bn1", planes))
            state[f"{name}.conv2.weight"] = 0.05 * tensor(planes, planes, 3, 3)
            state.update(batch_norm(f"{name}.bn2", planes))
            if prelu:
                state[f"{name}.relu1.weight"] = torch.full((planes,), 0.25)
                state[f"{name}.relu2.weight"] = torch.full((planes,), 0.25)
            if block == 0 and layer > 1:
                state[f"{name}.downsample.0.weight"] = 0.05 * tensor(planes, inplanes, 1, 1)
                state.update(batch_norm(f"{name}.downsample.1", planes))
        inplanes = planes
    state = {prefix + key: value for key, value in state.items()}
    state["encoder.embed.0.weight"] = tensor(768, 512)  # the conformer's input layer: ignored
    state["decoder.embed.0.weight"] = tensor(10, 768)
    return state


def test_loads_a_saved_auto_avsr_checkpoint(tmp_path):
    state = auto_avsr_state()
    path = tmp_path / "vsr_trlrs3_base.pth"
    torch.save(state, path)
    frontend = load_vsr_frontend(path)
    loaded = frontend.state_dict()
    for key, value in state.items():
        if key.startswith("encoder.frontend."):
            assert torch.equal(loaded[key.removeprefix("encoder.frontend.")], value), key
    assert isinstance(frontend.frontend3D[2], torch.nn.SiLU) and not frontend.training
    features = frontend(torch.rand(1, 4, 88, 88))
    assert features.shape == (1, 4, 512) and torch.isfinite(features).all()


def test_the_stem_matches_a_direct_convolution():
    state = auto_avsr_state()
    frontend = load_vsr_frontend(state)
    normalised = (torch.rand(1, 1, 5, 88, 88) - 0.421) / 0.165  # the models' pixel normalisation
    x = torch.nn.functional.conv3d(
        normalised, state["encoder.frontend.frontend3D.0.weight"], stride=(1, 2, 2), padding=(2, 3, 3)
    )
    bn = {k: state[f"encoder.frontend.frontend3D.1.{k}"] for k in ("running_mean", "running_var", "weight", "bias")}
    x = torch.nn.functional.batch_norm(x, bn["running_mean"], bn["running_var"], bn["weight"], bn["bias"])
    x = torch.nn.functional.max_pool3d(x * torch.sigmoid(x), (1, 3, 3), (1, 2, 2), (0, 1, 1))
    with torch.no_grad():
        assert torch.allclose(frontend.frontend3D(normalised), x, atol=1e-5)


def test_wrappers_prefixes_and_prelu_are_recognised():
    state = auto_avsr_state(prefix="model.encoder.frontend.", prelu=True)
    frontend = load_vsr_frontend({"state_dict": state, "epoch": 3})  # a Lightning checkpoint
    assert isinstance(frontend.trunk.layer1[0].relu1, torch.nn.PReLU)
    assert isinstance(frontend.frontend3D[2], torch.nn.SiLU)  # no frontend3D.2.weight: not PReLU
    lrw = {"model_state_dict": {k.removeprefix("model.encoder.frontend."): v for k, v in state.items()}}
    assert set(vsr_frontend_state(lrw)) == set(vsr_frontend_state(state))


def test_missing_and_unexpected_keys_are_named():
    state = auto_avsr_state()
    del state["encoder.frontend.trunk.layer3.1.conv2.weight"]
    state["encoder.frontend.trunk.layer5.0.conv1.weight"] = torch.zeros(1)
    with pytest.raises(
        ValueError,
        match=r"missing keys \['trunk.layer3.1.conv2.weight'\].*"
        r"unexpected keys \['trunk.layer5.0.conv1.weight'\]",
    ):
        load_vsr_frontend(state)


def test_wrong_shapes_and_other_checkpoints_are_refused(tmp_path):
    state = auto_avsr_state()
    state["encoder.frontend.frontend3D.0.weight"] = torch.zeros(32, 1, 5, 7, 7)
    with pytest.raises(ValueError, match=r"frontend3D.0.weight: \(32, 1, 5, 7, 7\) != \(64, 1, 5, 7, 7\)"):
        load_vsr_frontend(state)
    with pytest.raises(ValueError, match="frontend3D.0.weight"):
        load_vsr_frontend({"encoder.embed.0.weight": torch.zeros(2)})
    with pytest.raises(FileNotFoundError):
        load_vsr_frontend(tmp_path / "absent.pth")
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="weights_only"):
        load_vsr_frontend(tmp_path / "text.pth")
