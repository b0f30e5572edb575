"""Recorder segments made by ffmpeg from real footage (scripts/footage.sh), filed
as roles/recorder files them: <storage>/<source>/<YYYY-MM-DD>/<source>_<UTC>.ts."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from vigie_access.segments import segment_name

ROOT = Path(__file__).resolve().parents[2]


def footage_dir() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/footage.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def encode_segments(video: Path, out: Path, seconds: int) -> list[Path]:
    """Cut real footage into H.264 MPEG-TS segments of `seconds`, timestamps reset
    at each, like the recorder's segment muxer."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(video),
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-force_key_frames",
            f"expr:gte(t,n_forced*{seconds})",
            "-f",
            "segment",
            "-segment_time",
            str(seconds),
            "-reset_timestamps",
            "1",
            "-segment_format",
            "mpegts",
            str(out / "part%03d.ts"),
        ],
        check=True,
    )
    parts = sorted(out.glob("part*.ts"))
    return parts[:-1]  # the last one is short


def file_segments(
    parts: list[Path], storage: Path, source: str, first: dt.datetime, count: int, seconds: int
) -> list[str]:
    """Copy encoded parts under the recorder's names, from `first` every `seconds`."""
    names = []
    for i in range(count):
        name = segment_name(source, first + dt.timedelta(seconds=i * seconds))
        target = storage / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parts[i % len(parts)], target)
        names.append(name)
    return names


def live_buffer(video: Path, out: Path, seconds: int = 1, size: int = 6) -> subprocess.Popen:
    """The recorder's rolling live buffer of one camera: real footage at its own pace
    (`-re`), cut by ffmpeg's HLS muxer into `seconds` segments (`live<n>.ts`), the
    playlist `live.m3u8` listing the last `size`, older ones deleted, no ENDLIST."""
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
            str(video),
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-force_key_frames",
            f"expr:gte(t,n_forced*{seconds})",
            "-f",
            "hls",
            "-hls_time",
            str(seconds),
            "-hls_list_size",
            str(size),
            "-hls_flags",
            "delete_segments+omit_endlist+temp_file",
            "-hls_segment_filename",
            str(out / "live%d.ts"),
            str(out / "live.m3u8"),
        ]
    )
