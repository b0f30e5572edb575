"""Privacy mask geometry: relative polygons to pixels, the mask image, the check."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
import vigie_masks as masks

SQUARE = [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
TRIANGLE = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


def test_a_rectangle_covers_exactly_its_pixels():
    bitmap = masks.mask_bitmap([SQUARE], 8, 4)
    rows = [bytes(bitmap[y * 8 : (y + 1) * 8]) for y in range(4)]
    assert rows == [b"\x01" * 4 + b"\x00" * 4] * 2 + [b"\x00" * 8] * 2


def test_a_triangle_is_filled_by_pixel_centres():
    bitmap = masks.mask_bitmap([TRIANGLE], 10, 10)
    assert sum(bitmap) == 45  # centres with x + y < 9: 9 + 8 + ... + 1
    assert bitmap[0] == 1 and bitmap[99] == 0


def test_growing_covers_the_border():
    plain = masks.mask_bitmap([SQUARE], 20, 20)
    grown = masks.mask_bitmap([SQUARE], 20, 20, grow=2)
    assert sum(grown) == 12 * 12 and sum(plain) == 10 * 10


def test_pam_is_opaque_black_on_masks_and_transparent_elsewhere(tmp_path):
    path = tmp_path / "mask.pam"
    masks.write_pam(str(path), [SQUARE], 8, 4, grow=0)
    data = path.read_bytes()
    header, body = data.split(b"ENDHDR\n")
    assert b"WIDTH 8" in header and b"TUPLTYPE RGB_ALPHA" in header
    assert len(body) == 8 * 4 * 4
    assert body[:4] == b"\x00\x00\x00\xff" and body[4 * 4 : 4 * 5] == b"\x00\x00\x00\x00"


def test_masked_pixels_reads_only_inside():
    frame = bytes([200] * 64)
    frame = bytearray(frame)
    for y in range(4):
        frame[y * 8 : y * 8 + 4] = b"\x00" * 4
    assert set(masks.masked_pixels(bytes(frame), [SQUARE], 8, 8)) == {0}
    assert max(masks.masked_pixels(bytes([200] * 64), [SQUARE], 8, 8)) == 200


def test_resolution():
    assert masks.resolution("1920x1080") == (1920, 1080)
