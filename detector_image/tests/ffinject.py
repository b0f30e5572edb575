"""Tamper made by an independent tool: ffmpeg filters over real footage.

Each function returns the ffmpeg arguments that turn SRC into a 640x360, 5 fps
H.264 clip (the analysis substream's format) whose picture is tampered from
`start` seconds on; the tamper's strength is drawn from `rng`. None of this
shares code with the detector: the filters are ffmpeg's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

SIZE, FPS = (640, 360), 5
KINDS = ("black", "blinded", "covered", "defocus", "moved", "frozen", "signal_loss")
BASE = f"scale={SIZE[0]}:{SIZE[1]},fps={FPS}"


def _filter(kind: str, start: float, rng: np.random.Generator) -> tuple[list[str], str | None]:
    """(extra inputs, filter graph) for one kind; the graph's output is [out]."""
    on = f"enable='gte(t,{start:.2f})'"
    if kind == "black":
        return [], f"[0]{BASE},drawbox=color=black:t=fill:{on}[out]"
    if kind == "blinded":  # a torch at the lens: a white veil over most of the picture
        alpha = rng.uniform(0.85, 0.97)
        return [], f"[0]{BASE},drawbox=color=white@{alpha:.2f}:t=fill:{on}[out]"
    if kind == "covered":  # a hand or a cloth: dark, a little light leaks through
        level = int(rng.uniform(15, 50))
        alpha = rng.uniform(0.9, 0.97)
        colour = f"0x{level:02x}{level:02x}{level:02x}@{alpha:.2f}"
        return [], f"[0]{BASE},drawbox=color={colour}:t=fill:{on}[out]"
    if kind == "defocus":
        radius = int(rng.integers(8, 16))
        return [], f"[0]{BASE},boxblur=luma_radius={radius}:luma_power=2:{on}[out]"
    if kind == "moved":  # crop-and-shift: the camera now looks elsewhere
        zoom = rng.uniform(0.55, 0.75)
        x, y = rng.uniform(0, 1 - zoom), rng.uniform(0, 1 - zoom)
        crop = f"crop=iw*{zoom:.2f}:ih*{zoom:.2f}:iw*{x:.2f}:ih*{y:.2f},scale={SIZE[0]}:{SIZE[1]}"
        return [], f"[0]{BASE},split[a][b];[b]{crop}[c];[a][c]overlay={on}[out]"
    if kind == "frozen":  # the frame at `start` repeated to the end (a hung encoder)
        first = round(start * FPS)
        graph = (
            f"[0]{BASE}[a];[1]{BASE}[b];"
            f"[a][b]freezeframes=first={first}:last=1000000:replace={first}[out]"
        )
        return ["second"], graph
    if kind == "signal_loss":  # the stream is cut: no frame after `start`
        return [], f"[0]{BASE}[out]"
    raise ValueError(kind)


def make(src: Path, out: Path, kind: str, start: float, length: float, seed: int) -> Path:
    """Write the tampered clip (first `length` s of SRC); cached on its name."""
    if out.is_file() and out.stat().st_size:
        return out
    rng = np.random.default_rng(seed)
    extra, graph = _filter(kind, start, rng)
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-t", f"{length}", "-i", str(src)]
    if extra:
        cmd += ["-t", f"{length}", "-i", str(src)]
    duration = start if kind == "signal_loss" else length
    cmd += ["-filter_complex", graph, "-map", "[out]", "-t", f"{duration:.2f}", "-an"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-g", "10", "-bf", "0", str(out)]
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(cmd, check=True)
    return out
