"""ember.vision.utils (make_grid, save_image) and ember.vision.io."""
import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import io, utils


def test_make_grid_layout_and_padding():
    batch = ember.ones(5, 3, 4, 6)
    grid = utils.make_grid(batch, nrow=2, padding=2)
    assert grid.shape == (3, 3 * 6 + 2, 2 * 8 + 2)
    arr = grid.numpy()
    assert arr[:, :2].sum() == 0 and arr[0, 2:6, 2:8].min() == 1.0
    assert arr[0, 14:18, 10:16].max() == 0.0  # the sixth, empty tile


def test_make_grid_single_channel_becomes_rgb():
    assert utils.make_grid(ember.zeros(4, 1, 5, 5)).shape[0] == 3


def test_make_grid_normalize_scales_to_unit_range():
    batch = ember.from_numpy(np.linspace(-3, 5, 2 * 3 * 4 * 4, dtype=np.float32)
                             .reshape(2, 3, 4, 4))
    arr = utils.make_grid(batch, normalize=True, padding=0).numpy()
    assert arr.min() == 0.0 and arr.max() == 1.0


def test_make_grid_single_image_returned_as_is():
    x = ember.rand(3, 4, 4)
    np.testing.assert_array_equal(utils.make_grid(x).numpy(), x.numpy())


def test_save_image_writes_png(tmp_path):
    path = tmp_path / "grid.png"
    utils.save_image(ember.ones(4, 1, 8, 8), path, nrow=2)
    img = Image.open(path)
    assert img.size == (2 * 10 + 2, 2 * 10 + 2) and np.asarray(img).max() == 255


def test_write_png_read_image_round_trip(tmp_path):
    x = ember.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 5, 7), dtype=np.uint8))
    io.write_png(x, tmp_path / "a.png")
    np.testing.assert_array_equal(io.read_image(tmp_path / "a.png").numpy(), x.numpy())


def test_read_image_gray_mode(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(tmp_path / "b.png")
    assert io.read_image(tmp_path / "b.png", io.ImageReadMode.GRAY).shape == (1, 4, 4)


def test_encode_png_rejects_float():
    with pytest.raises(RuntimeError, match="uint8"):
        io.encode_png(ember.zeros(3, 2, 2))
