"""The clock code burned into simulated cameras' frames: encoded, read back,
a misread rejected, the 2**32 ms wrap handled. No Docker, no binary."""

from __future__ import annotations

import random

import pytest

from lab.camera_sim import clockcode as cc

W, H = 640, 360  # the lab cameras' substream


def noisy_frame(seed: int) -> bytearray:
    rnd = random.Random(seed)
    return bytearray(rnd.randrange(256) for _ in range(W * H))


@pytest.mark.parametrize("t", [0, 1, 1_765_000_000_123, cc.MODULUS - 1, cc.MODULUS + 7])
def test_round_trip_through_pixels(t):
    frame = noisy_frame(t % 1000)
    cc.paint_gray(frame, W, t)
    assert cc.decode_gray(bytes(frame), W, H) == t % cc.MODULUS


def test_blocks_are_big_enough_for_the_substream_and_fit_the_frame():
    x0, w, h = cc.geometry(W)
    assert w >= 14 and h >= 16 and x0 >= 0 and x0 + cc.CELLS * w <= W
    assert cc.geometry(1920)[1] >= 40


def test_a_frame_without_the_code_is_rejected():
    for seed in range(20):
        assert cc.decode_gray(bytes(noisy_frame(seed)), W, H) is None
    assert cc.decode_gray(bytes(W * H), W, H) is None  # black
    assert cc.decode_gray(b"\xff" * (W * H), W, H) is None  # white


@pytest.mark.parametrize("cell", range(cc.CELLS))
def test_any_flipped_block_is_rejected(cell):
    t = 1_765_000_000_123
    levels = [255.0 if bit else 0.0 for bit in cc.encode(t)]
    assert cc.decode_levels(levels) == t % cc.MODULUS
    levels[cell] = 255.0 - levels[cell]
    assert cc.decode_levels(levels) is None


def test_two_flipped_data_bits_are_rejected():
    t = 123_456_789
    bits = cc.encode(t)
    data = range(len(cc.MARKER), cc.CELLS)
    for i in data:
        for j in data:
            if i < j:
                levels = [255.0 * b for b in bits]
                levels[i], levels[j] = 255.0 - levels[i], 255.0 - levels[j]
                assert cc.decode_levels(levels) is None, (i, j)


def test_an_ambiguous_grey_block_is_rejected_not_guessed():
    levels = [255.0 if bit else 0.0 for bit in cc.encode(42)]
    levels[10] = 128.0
    assert cc.decode_levels(levels) is None


def test_wrap_around_is_unwrapped_to_the_nearest_instant():
    epoch = 5 * cc.MODULUS  # a real clock is many wraps past zero
    before_wrap = epoch - 300  # drawn 300 ms before the counter wrapped
    code = before_wrap % cc.MODULUS
    assert code > cc.MODULUS - 1000
    seen = epoch + 1_200  # read after the wrap
    assert cc.unwrap(code, seen) == before_wrap
    assert cc.latency_ms(code, seen) == 1_500
    # A code from the reader's future (clocks off) comes out negative, not 49 days.
    assert cc.latency_ms((seen + 250) % cc.MODULUS, seen) == -250


def test_decoding_uses_the_real_clock_scale():
    t = cc.now_ms()
    assert cc.latency_ms(t % cc.MODULUS, t + 2_000) == 2_000
