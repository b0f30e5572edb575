"""Privacy masks: relative polygons -> pixels of a frame (standard library only).

A polygon is a list of [x, y] in 0..1 of the frame's width and height. A pixel
is masked when its square touches the polygon's interior, approximated
conservatively: the polygon is filled by pixel centres, then grown by `grow`
pixels, so that the codec's blur at the border never uncovers a masked pixel.
The exact polygon (pixel centres, not grown) is what the periodic check reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def rows_inside(polygon: list[list[float]], width: int, height: int):
    """Yield (y, x_start, x_end) spans of pixels whose centre is inside the polygon."""
    points = [(x * width, y * height) for x, y in polygon]
    for y in range(height):
        cy = y + 0.5
        xs = []
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            if (y1 <= cy < y2) or (y2 <= cy < y1):
                xs.append(x1 + (cy - y1) * (x2 - x1) / (y2 - y1))
        xs.sort()
        for a, b in zip(xs[::2], xs[1::2], strict=False):
            # pixel x is inside when a <= x + 0.5 < b
            start, end = max(0, math.ceil(a - 0.5)), min(width, math.ceil(b - 0.5))
            if start < end:
                yield y, start, end


def mask_bitmap(polygons: Iterable, width: int, height: int, grow: int = 0) -> bytearray:
    """One byte per pixel, 1 = masked."""
    bitmap = bytearray(width * height)
    for polygon in polygons:
        for y, start, end in rows_inside(polygon, width, height):
            for yy in range(max(0, y - grow), min(height, y + grow + 1)):
                a, b = max(0, start - grow), min(width, end + grow)
                bitmap[yy * width + a : yy * width + b] = b"\x01" * (b - a)
    return bitmap


def write_pam(path: str, polygons: Iterable, width: int, height: int, grow: int = 2) -> None:
    """An RGBA PAM image: opaque black on the masks, transparent elsewhere (ffmpeg overlay)."""
    bitmap = mask_bitmap(polygons, width, height, grow)
    header = (
        f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n"
    )
    opaque, clear = b"\x00\x00\x00\xff", b"\x00\x00\x00\x00"
    with open(path, "wb") as out:
        out.write(header.encode("ascii"))
        out.write(b"".join(opaque if v else clear for v in bitmap))


def masked_pixels(gray: bytes, polygons: Iterable, width: int, height: int):
    """Values of the frame's pixels inside the exact polygons (8-bit gray frame)."""
    for polygon in polygons:
        for y, start, end in rows_inside(polygon, width, height):
            yield from gray[y * width + start : y * width + end]


def resolution(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)
