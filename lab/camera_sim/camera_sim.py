#!/usr/bin/env python3
"""RTSP camera simulator: serves pre-encoded H.264 files of real footage, looped.

No decoding or re-encoding at run time (the CPU stays free for the code under
test). Each file is split once into access units (h264parse -> appsink); an
appsrc then replays them forever with monotonic timestamps at the given frame
rate, so clients and recorders see a clean endless stream, like a camera.
Runs with the system python3 and Debian's GStreamer (gir1.2-gst-rtsp-server-1.0),
on the host or in the image vigie/camera-sim:bookworm.

    camera_sim.py --address 127.0.0.1 --port 8554 --mount /cam1=FILE.h264[@FPS] ...
"""

import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

AU_CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"


def parse_mount(text: str) -> tuple[str, str, int]:
    """'/cam1=/data/vtest.h264@5' -> ('/cam1', '/data/vtest.h264', 5)."""
    mount, sep, rest = text.partition("=")
    if not sep or not mount.startswith("/"):
        raise argparse.ArgumentTypeError(f"expected /PATH=FILE[@FPS], got {text!r}")
    path, fps = rest.rsplit("@", 1) if "@" in rest else (rest, "5")
    if not fps.isdigit() or int(fps) <= 0:
        raise argparse.ArgumentTypeError(f"bad frame rate in {text!r}")
    return mount, path, int(fps)


def load_access_units(path: str) -> list[bytes]:
    """Split an Annex-B file into access units (one per frame), once, in memory."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! h264parse config-interval=-1 ! {AU_CAPS} '
        "! appsink name=out sync=false"
    )
    sink = pipeline.get_by_name("out")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    while (sample := sink.emit("pull-sample")) is not None:
        buf = sample.get_buffer()
        units.append(buf.extract_dup(0, buf.get_size()))
    pipeline.set_state(Gst.State.NULL)
    if not units:
        raise SystemExit(f"camera_sim: no H.264 access unit in {path}")
    return units


class LoopingFactory(GstRtspServer.RTSPMediaFactory):
    """One shared pipeline per mount (like a camera's single encoder)."""

    def __init__(self, units: list[bytes], fps: int):
        super().__init__()
        self.units, self.fps = units, fps
        self.set_shared(True)
        self.set_launch(
            f"( appsrc name=src is-live=true format=time caps={AU_CAPS},framerate={fps}/1 "
            "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        self.connect("media-configure", self._on_media_configure)

    def _on_media_configure(self, _factory, media):
        src = media.get_element().get_by_name("src")
        state = {"n": 0}
        duration = Gst.SECOND // self.fps

        def need_data(appsrc, _length):
            n = state["n"]
            buf = Gst.Buffer.new_wrapped(self.units[n % len(self.units)])
            buf.pts = buf.dts = n * duration
            buf.duration = duration
            state["n"] = n + 1
            appsrc.emit("push-buffer", buf)

        src.connect("need-data", need_data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--address", default="127.0.0.1", help="listen address (loopback by default)"
    )
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument(
        "--mount",
        type=parse_mount,
        action="append",
        required=True,
        help="/PATH=FILE.h264[@FPS] (repeatable; FPS defaults to 5)",
    )
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for mount, path, fps in args.mount:
        mounts.add_factory(mount, LoopingFactory(load_access_units(path), fps))
    if server.attach(None) == 0:
        print(f"camera_sim: cannot listen on {args.address}:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    for mount, path, fps in args.mount:
        print(
            f"camera_sim: rtsp://{args.address}:{args.port}{mount} <- {path} @ {fps} fps",
            flush=True,
        )
    loop.run()
    # Nothing to flush; a streaming thread blocked on a vanished client could
    # otherwise hold up interpreter teardown (seen once after many clients).
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
