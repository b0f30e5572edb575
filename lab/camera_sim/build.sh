#!/usr/bin/env bash
# Build vigie/camera-sim:bookworm (cached: skipped when an image built from the
# same sources exists). Prints the image name.
#   lab/camera_sim/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=vigie/camera-sim:bookworm
cache=$root/.cache/camera_sim

# Footage: real video (opencv-doc's vtest.avi), encoded once as a substream.
footage=$(bash "$root/scripts/footage.sh")
"$here/encode.sh" "$footage/vtest.avi" "$cache/vtest.h264" 640x360 5 >/dev/null
# Same clip with the lens covered (black) from 40 s to 55 s: a tamper to detect.
if [ ! -s "$cache/vtest-covered.h264" ] || [ "$cache/vtest-covered.h264" -ot "$footage/vtest.avi" ]; then
  ffmpeg -nostdin -loglevel error -y -i "$footage/vtest.avi" \
    -vf "scale=640:360,fps=5,drawbox=enable='between(t,40,55)':color=black:t=fill" -an \
    -c:v libx264 -preset medium -profile:v baseline -bf 0 -g 10 \
    -x264-params keyint_min=10:scenecut=0 -f h264 "$cache/vtest-covered.h264.tmp"
  mv "$cache/vtest-covered.h264.tmp" "$cache/vtest-covered.h264"
fi

src_hash=$(cat "$here/Dockerfile" "$here/camera_sim.py" "$here/clockcode.py" "$here/build.sh" \
  "$here/encode.sh" \
  | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "vigie.source-hash" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$src_hash" ]; then echo "$image"; exit 0; fi

base=$(bash "$root/scripts/base-image.sh" slim)
ctx=$(mktemp -d /tmp/vigie-camsim.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp "$here/Dockerfile" "$here/camera_sim.py" "$here/clockcode.py" "$ctx/"
mkdir "$ctx/footage"
cp "$cache/vtest.h264" "$cache/vtest-covered.h264" "$ctx/footage/"
echo "building $image (apt inside, ~1 min)" >&2
docker build -q --build-arg BASE_IMAGE="$base" --label "vigie.source-hash=$src_hash" \
  -t "$image" "$ctx" >/dev/null
echo "$image"
