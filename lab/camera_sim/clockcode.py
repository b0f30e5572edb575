"""The wall-clock time burned into video frames as a row of black and white blocks.

Camera simulators draw it on every frame when the frame is produced; whoever
decodes the video later (ffmpeg in a test, the operator's page in Chromium via
clockcode.js) reads it back, so latency = the reader's clock - the code, glass
to glass. Blocks, not text: no OCR, and a misread is rejected, never trusted.
Standard library only (the simulator runs with the system python3).

Layout, one row of CELLS blocks along the top edge of the frame, centred:

    block width  w = frame width // CELLS   (14 px at 640x360, 43 px at 1920x1080)
    block height h = max(w, 16)
    blocks 0-3   marker 1011
    blocks 4-35  t = wall-clock milliseconds mod 2**32, most significant bit first
                 (wraps every 49.7 days: unwrap() picks the instant nearest the reader's clock)
    blocks 36-43 CRC-8 (polynomial 0x07) of t's four bytes, big-endian

A 1 is white (luma 255), a 0 black. A reader averages a small square at each
block's centre (away from the edges H.264 blurs) and rejects the frame when a
block is neither clearly dark nor clearly light, the marker differs or the CRC
does not match. clockcode.js implements the same reading; keep both in step.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

CELLS = 44
MARKER = (1, 0, 1, 1)
DATA_BITS = 32
CRC_BITS = 8
MODULUS = 1 << DATA_BITS
MIN_HEIGHT = 16
DARK, LIGHT = 80, 176  # luma thresholds; anything between is ambiguous


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def geometry(width: int) -> tuple[int, int, int]:
    """(x of the first block, block width, block height) for a frame `width` wide."""
    w = width // CELLS
    if w < 4:
        raise ValueError(f"frame too narrow for the clock code: {width} px")
    return (width - CELLS * w) // 2, w, max(w, MIN_HEIGHT)


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _bits(value: int, n: int) -> list[int]:
    return [(value >> (n - 1 - i)) & 1 for i in range(n)]


def encode(t_ms: int) -> list[int]:
    """The CELLS bits (1 = white) for an instant in epoch milliseconds."""
    t = t_ms % MODULUS
    return [*MARKER, *_bits(t, DATA_BITS), *_bits(crc8(t.to_bytes(4, "big")), CRC_BITS)]


def blocks(t_ms: int, width: int) -> list[tuple[int, int, int, int, int]]:
    """What to draw: (x, y, w, h, bit) for each block."""
    x0, w, h = geometry(width)
    return [(x0 + i * w, 0, w, h, bit) for i, bit in enumerate(encode(t_ms))]


def centres(width: int) -> list[tuple[int, int]]:
    x0, w, h = geometry(width)
    return [(x0 + i * w + w // 2, h // 2) for i in range(CELLS)]


def decode_levels(levels: Sequence[float]) -> int | None:
    """t mod 2**32 from the CELLS blocks' mean luma, or None if anything is off."""
    if len(levels) != CELLS:
        return None
    bits = []
    for level in levels:
        if level <= DARK:
            bits.append(0)
        elif level >= LIGHT:
            bits.append(1)
        else:
            return None
    if tuple(bits[: len(MARKER)]) != MARKER:
        return None
    t = crc = 0
    for bit in bits[len(MARKER) : len(MARKER) + DATA_BITS]:
        t = (t << 1) | bit
    for bit in bits[len(MARKER) + DATA_BITS :]:
        crc = (crc << 1) | bit
    return t if crc == crc8(t.to_bytes(4, "big")) else None


def decode_gray(frame: bytes, width: int, height: int) -> int | None:
    """Read the code from one 8-bit gray frame (row-major, `width` bytes a row)."""
    if len(frame) < width * height:
        raise ValueError("short frame")
    _x0, w, _h = geometry(width)
    r = max(1, w // 4)  # half-side of the square averaged at each centre
    levels = []
    for cx, cy in centres(width):
        total = 0
        for y in range(cy - r, cy + r):
            total += sum(frame[y * width + cx - r : y * width + cx + r])
        levels.append(total / (4 * r * r))
    return decode_levels(levels)


def paint_gray(frame: bytearray, width: int, t_ms: int) -> None:
    """Draw the code into an 8-bit gray frame (the simulator draws with cairo)."""
    for x, y, w, h, bit in blocks(t_ms, width):
        for row in range(y, y + h):
            frame[row * width + x : row * width + x + w] = bytes([255 if bit else 0]) * w


def unwrap(code: int, reference_ms: int) -> int:
    """The epoch milliseconds with t mod 2**32 == code nearest `reference_ms`."""
    delta = (reference_ms - code) % MODULUS
    if delta >= MODULUS // 2:
        delta -= MODULUS
    return reference_ms - delta


def latency_ms(code: int, seen_ms: int) -> int:
    """How old the frame was when it was seen (negative: a clock is off)."""
    return seen_ms - unwrap(code, seen_ms)
