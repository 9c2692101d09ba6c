"""ember.vision.models: torchvision's state_dict layouts, forward shapes, Weights plumbing."""
import json
import os
import warnings

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models import _hub

_KEYS = json.load(open(os.path.join(os.path.dirname(__file__), "data",
                                    "model_state_dict_keys.json")))


def _layout(model):
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "resnet50", "mobilenet_v2"])
def test_state_dict_keys_and_shapes_match_torchvision(name):
    model = models.get_model(name)
    assert _layout(model) == _KEYS[name]["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == _KEYS[name]["num_params"]


def test_vit_b_16_key_names_match_torchvision():
    small = models.VisionTransformer(image_size=32, patch_size=16, num_layers=12, num_heads=2,
                                     hidden_dim=8, mlp_dim=16)
    assert list(small.state_dict()) == [k for k, _ in _KEYS["vit_b_16"]["state_dict"]]


def test_vgg16_bn_key_names_match_torchvision():
    features = models.vgg.make_layers(models.vgg.cfgs["D"], batch_norm=True)
    expected = [k for k, _ in _KEYS["vgg16_bn"]["state_dict"] if k.startswith("features.")]
    assert list(features.state_dict()) == [k[len("features."):] for k in expected]


def test_resnet18_forward_shape():
    with ember.no_grad():
        assert models.resnet18(num_classes=10).eval()(ember.randn(1, 3, 32, 32)).shape == (1, 10)


def test_resnet_gradients_reach_every_parameter():
    model = models.ResNet(models.BasicBlock, [1, 1, 1, 1], num_classes=10)
    model(ember.randn(2, 3, 16, 16)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_mobilenet_v2_forward_shape():
    assert models.mobilenet_v2(num_classes=7).eval()(ember.randn(1, 3, 32, 32)).shape == (1, 7)


def test_vit_tiny_forward_shape():
    model = models.vit_tiny(num_classes=10, num_layers=2)
    assert model(ember.randn(2, 3, 32, 32)).shape == (2, 10)


def test_vit_rejects_wrong_image_size():
    with pytest.raises(RuntimeError, match="Wrong image height"):
        models.vit_tiny(num_layers=1)(ember.randn(1, 3, 16, 32))


def test_lenet5_forward_shape():
    assert models.lenet5()(ember.randn(3, 1, 28, 28)).shape == (3, 10)


def test_weights_enum_url_file_name_and_default():
    w = models.ResNet18_Weights.DEFAULT
    assert w is models.ResNet18_Weights.IMAGENET1K_V1
    assert w.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert w.file_name == "resnet18-f37072fd.pth" and w.meta["num_params"] == 11689512
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V2").meta["_metrics"]


def test_weights_transforms_gives_normalised_crop():
    preprocess = models.ResNet18_Weights.DEFAULT.transforms()
    out = preprocess(ember.rand(3, 300, 260))
    assert out.shape == (3, 224, 224) and out.dtype == ember.float32


def test_missing_pretrained_file_offline_names_hub_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(url, filename, chunk_size=0):
        raise OSError("network is unreachable")
    monkeypatch.setattr(_hub, "_urlretrieve", offline)
    expected = os.path.join(str(tmp_path), "hub", "checkpoints", "resnet18-f37072fd.pth")
    with pytest.raises(RuntimeError, match="place it at " + expected.replace("\\", "\\\\")):
        models.resnet18(weights=models.ResNet18_Weights.DEFAULT)


def test_pretrained_weights_load_from_hub_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    source = models.resnet18()
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    ember.save(source.state_dict(), folder / "resnet18-f37072fd.pth")
    loaded = models.resnet18(weights="IMAGENET1K_V1")
    np.testing.assert_array_equal(loaded.fc.weight.detach().numpy(),
                                  source.fc.weight.detach().numpy())


def test_num_classes_conflicting_with_weights_raises():
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000"):
        models.resnet18(weights=models.ResNet18_Weights.DEFAULT, num_classes=10)


def test_legacy_pretrained_false_builds_untrained_model():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.resnet18(pretrained=False, num_classes=3)
    assert model.fc.out_features == 3 and caught


def test_wrong_weights_enum_rejected():
    with pytest.raises(TypeError, match="Invalid Weight class"):
        models.resnet18(weights=models.ResNet34_Weights.DEFAULT)


def test_list_and_get_model_weights():
    assert {"resnet18", "vgg16_bn", "vit_b_16", "mobilenet_v2"} <= set(models.list_models())
    assert models.get_model_weights("resnet18") is models.ResNet18_Weights
