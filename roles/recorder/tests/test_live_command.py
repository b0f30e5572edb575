"""The recorder's ffmpeg command with the live buffer (files/vigie-record),
run on a live MPEG-TS stream: one input, at most one encoding, the recording's
segments and the live HLS buffer both written; masks in both; a live output
that fails leaves the recording going."""

import datetime as dt
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

FILES = Path(__file__).resolve().parents[1] / "files"
sys.path.insert(0, str(FILES))
import vigie_masks  # noqa: E402

# vigie-record imports GStreamer (python3-gi): Debian's Python, as on a recorder.
COMMAND = r"""
import importlib.machinery, importlib.util, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
loader = importlib.machinery.SourceFileLoader("vigie_record", sys.argv[1] + "/vigie-record")
spec = importlib.util.spec_from_loader("vigie_record", loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)
camera, base, mask, live = json.loads(sys.argv[2])
live = module.Live(Path(live), 1, 6) if live else None
print(json.dumps(module.ffmpeg_command(camera, Path(base), 4, mask, live)))
"""
CLEAR = r"""
import importlib.machinery, importlib.util, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
loader = importlib.machinery.SourceFileLoader("vigie_record", sys.argv[1] + "/vigie-record")
spec = importlib.util.spec_from_loader("vigie_record", loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)
module.clear_live(module.Live(Path(sys.argv[2]), 1, 6))
"""
SIZE, FPS = (320, 180), 5
MASK = [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
OPEN = [[0.55, 0.55], [1.0, 0.55], [1.0, 1.0], [0.55, 1.0]]
SEGMENT = re.compile(r"^live[0-9]+\.ts$")


def command(camera: dict, base: Path, mask: str | None, live: Path | None) -> list[str]:
    args = json.dumps([camera, str(base), mask, str(live) if live else None])
    out = subprocess.run(
        ["/usr/bin/python3", "-c", COMMAND, str(FILES), args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def record(cmd: list[str], base: Path, seconds: int = 7, gop: int = FPS) -> None:
    """A camera's stream in real time (5 fps, a key frame every `gop` frames) into `cmd`."""
    today = dt.datetime.now(dt.UTC).date()
    for day in (today, today + dt.timedelta(days=1)):
        (base / day.isoformat()).mkdir(parents=True, exist_ok=True)
    camera = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi",
         "-i", f"testsrc=size={SIZE[0]}x{SIZE[1]}:rate={FPS}", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-f", "mpegts", "pipe:1"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    recorder = subprocess.run(
        cmd, stdin=camera.stdout, env=dict(os.environ, TZ="UTC"), capture_output=True, timeout=60
    )
    camera.stdout.close()
    camera.wait(timeout=30)
    assert recorder.returncode == 0, recorder.stderr.decode()


def playlist(folder: Path) -> tuple[str, list[tuple[float, str]]]:
    text = (folder / "live.m3u8").read_text()
    lines = text.splitlines()
    entries = [
        (float(line.split(":")[1].rstrip(",")), next(u for u in lines[i + 1 :] if u[:1] != "#"))
        for i, line in enumerate(lines)
        if line.startswith("#EXTINF:")
    ]
    return text, entries


def key_frame_times(path: Path) -> list[float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey",
         "-show_entries", "frame=pts_time", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [float(t.split(",")[0]) for t in out.stdout.split()]  # side data: "1.6,"


def gray_frames(path: Path) -> list[bytes]:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    size = SIZE[0] * SIZE[1]
    return [raw[i : i + size] for i in range(0, len(raw) - size + 1, size)]


def recorded(base: Path) -> list[Path]:
    return sorted(base.rglob("cam_*.ts"))


def test_a_copied_camera_is_recorded_and_live_from_one_input_without_encoding(tmp_path):
    base, live = tmp_path / "cam", tmp_path / "live"
    live.mkdir()
    cmd = command({"id": "cam"}, base, None, live)
    assert cmd.count("-i") == 1 and "libx264" not in cmd and cmd[cmd.index("-c") + 1] == "copy"
    record(cmd, base)
    assert recorded(base) and all(p.stat().st_size > 0 for p in recorded(base))
    text, entries = playlist(live)
    assert "#EXT-X-TARGETDURATION:1" in text and "#EXT-X-ENDLIST" not in text
    # Cut at the camera's one-second key frames; relative names, files present.
    assert len(entries) >= 5 and all(0.8 <= d <= 1.2 for d, _u in entries), entries
    assert all(SEGMENT.match(u) and (live / u).is_file() for _d, u in entries), entries
    # The media sequence comes from the clock: a restart does not go back to 0.
    sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)[1])
    assert sequence > 1_700_000_000


def test_a_copied_camera_s_live_segments_follow_its_own_gop(tmp_path):
    base, live = tmp_path / "cam", tmp_path / "live"
    live.mkdir()
    record(command({"id": "cam"}, base, None, live), base, seconds=9, gop=2 * FPS)
    text, entries = playlist(live)
    assert "#EXT-X-TARGETDURATION:2" in text
    assert all(1.8 <= d <= 2.2 for d, _u in entries[:-1]), entries


def test_a_masked_camera_is_encoded_once_with_a_key_frame_every_second(tmp_path):
    base, live = tmp_path / "cam", tmp_path / "live"
    live.mkdir()
    mask = tmp_path / "mask.pam"
    vigie_masks.write_pam(str(mask), [MASK], *SIZE)
    camera = {"id": "cam", "fps": FPS, "resolution": f"{SIZE[0]}x{SIZE[1]}"}
    cmd = command(camera, base, str(mask), live)
    assert cmd.count("libx264") == 1 and cmd.count("-filter_complex") == 1
    assert cmd[cmd.index("-force_key_frames") + 1] == "expr:gte(t,n_forced*1)"
    assert cmd[cmd.index("-tune") + 1] == "zerolatency"  # no frame held back for live
    # The camera sends a key frame every 2 s; the recorder re-encodes with one a second.
    record(cmd, base, seconds=9, gop=2 * FPS)
    _text, entries = playlist(live)
    assert len(entries) >= 5 and all(0.8 <= d <= 1.2 for d, _u in entries), entries
    # The recording (4-s segments) gets the same one-second key frames.
    segments = recorded(base)
    assert len(segments) >= 2
    keys = key_frame_times(segments[-1])
    gaps = [b - a for a, b in itertools.pairwise(keys)]
    assert gaps and all(abs(g - 1) < 0.05 for g in gaps), keys
    # Both outputs are masked: black inside the mask, the picture elsewhere.
    for path in (live / entries[-1][1], segments[-1]):
        frames = gray_frames(path)
        assert frames
        assert max(max(vigie_masks.masked_pixels(f, [MASK], *SIZE)) for f in frames) <= 24
        assert max(max(vigie_masks.masked_pixels(f, [OPEN], *SIZE)) for f in frames) > 100


def test_without_a_live_buffer_the_recording_command_is_unchanged(tmp_path):
    mask = tmp_path / "mask.pam"
    vigie_masks.write_pam(str(mask), [MASK], *SIZE)
    camera = {"id": "cam", "fps": FPS, "resolution": f"{SIZE[0]}x{SIZE[1]}"}
    cmd = command(camera, tmp_path / "cam", str(mask), None)
    assert "tee" not in cmd and cmd[cmd.index("-f", cmd.index("-c:v")) + 1] == "segment"
    assert "-tune" not in cmd
    assert cmd[cmd.index("-force_key_frames") + 1] == "expr:gte(t,n_forced*4)"
    assert cmd[cmd.index("-g") + 1] == str(2 * FPS)


def test_a_failing_live_buffer_does_not_stop_the_recording(tmp_path):
    base = tmp_path / "cam"
    missing = tmp_path / "no-such-folder"  # the live output cannot be opened
    record(command({"id": "cam"}, base, None, missing), base)
    assert recorded(base) and sum(p.stat().st_size for p in recorded(base)) > 10_000
    assert not missing.exists()


def test_special_characters_in_paths_reach_ffmpeg_intact(tmp_path):
    # The tee muxer splits on | : [ ] and unescapes twice: the paths must survive.
    odd = tmp_path / "a:b[c]|d'e"
    base, live = odd / "cam", odd / "live"
    live.mkdir(parents=True)
    record(command({"id": "cam"}, base, None, live), base, seconds=4)
    assert recorded(base) and (live / "live.m3u8").is_file()


def test_clear_live_removes_the_buffer_and_nothing_else(tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    for name in ("live.m3u8", "live.m3u8.tmp", "live1796615744.ts", "live1796615745.ts.tmp"):
        (live / name).write_bytes(b"x")
    (live / "cam.mask.pam").write_bytes(b"mask")
    subprocess.run(["/usr/bin/python3", "-c", CLEAR, str(FILES), str(live)], check=True)
    assert [p.name for p in live.iterdir()] == ["cam.mask.pam"]


def appearances(cmd: list[str], live: Path, base: Path, seconds: int) -> list[float]:
    """When each live segment appears, minus the stream time it ends at (s)."""
    base.mkdir(parents=True)
    (base / dt.datetime.now(dt.UTC).date().isoformat()).mkdir()
    camera = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi",
         "-i", f"testsrc=size={SIZE[0]}x{SIZE[1]}:rate={FPS}", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-g", str(FPS), "-f", "mpegts", "pipe:1"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    started = time.monotonic()
    recorder = subprocess.Popen(cmd, stdin=camera.stdout, env=dict(os.environ, TZ="UTC"))
    camera.stdout.close()
    seen: dict[str, float] = {}
    while recorder.poll() is None:
        for path in live.glob("live*.ts"):
            seen.setdefault(path.name, time.monotonic() - started)
        time.sleep(0.02)
    camera.wait(timeout=30)
    order = sorted(seen, key=seen.get)
    return [seen[name] - (k + 1) for k, name in enumerate(order)]


def test_a_masked_camera_s_live_segments_are_not_held_back_by_the_encoder(tmp_path):
    """At 5 fps x264's default look-ahead and B-frames delayed each live segment
    by about 4 s more than a copied camera's; the live encoding holds none back."""
    mask = tmp_path / "mask.pam"
    vigie_masks.write_pam(str(mask), [MASK], *SIZE)
    camera = {"id": "cam", "fps": FPS, "resolution": f"{SIZE[0]}x{SIZE[1]}"}
    delays = {}
    for kind, mask_path in (("copy", None), ("masked", str(mask))):
        live = tmp_path / kind / "live"
        live.mkdir(parents=True)
        cmd = command(camera, tmp_path / kind / "cam", mask_path, live)
        steady = appearances(cmd, live, tmp_path / kind / "cam", 10)[2:-2]
        delays[kind] = statistics.median(steady)
    assert delays["masked"] - delays["copy"] < 1.0, delays
