"""The live view: what a camera's stream must offer for the levée de doute's live picture.

The recorder cuts its live buffer at the camera's key frames and a player
starts at one: a camera whose key frames come far apart starts late and lags
by as much. (Masked cameras are re-encoded with a key frame every live
segment whatever the camera sends.)
"""

from __future__ import annotations

from vigie.rules import Context, Finding, rule

# Apple's HLS authoring specification asks for a key frame every 2 s; past it,
# start-up and latency of the live view (1-s live segments) grow with the GOP.
MAX_KEYFRAME_SECONDS = 2.0


@rule(
    "CAMERA-GOP-SLOW",
    "Apple, HLS Authoring Specification for Apple Devices: key frames every 2 s; "
    "RFC 8216 (HLS) 4.3.3.1, segments cut at key frames",
    f"a camera's declared key-frame interval is at most {MAX_KEYFRAME_SECONDS:g} s "
    "(the live view starts and lags by a GOP)",
    "warning",
    review_only=True,
)
def keyframe_interval(ctx: Context):
    for site in ctx.inv.sites.values():
        for cam in site.cameras:
            if cam.keyframe_seconds > MAX_KEYFRAME_SECONDS and not cam.privacy_masks:
                yield Finding(
                    cam,
                    "keyframe_seconds",
                    f"camera {site.id}/{cam.id}: a key frame every {cam.keyframe_seconds:g} s: "
                    f"the live view would start up to {cam.keyframe_seconds:g} s late and lag "
                    "as much",
                    f"configure the camera's GOP to 1 s (at most {MAX_KEYFRAME_SECONDS:g} s) "
                    "and declare it in `keyframe_seconds`",
                )
