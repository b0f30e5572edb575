#!/usr/bin/env bash
# Encode real footage ONCE into a raw H.264 elementary stream (Annex B) that the
# camera simulator serves without re-encoding. Cached: skips when OUT is newer
# than SRC and was made with the same size, frame rate and key-frame interval.
#   lab/camera_sim/encode.sh SRC OUT [WIDTHxHEIGHT] [FPS] [GOP]
# Defaults match a camera substream: 640x360, 5 fps, baseline profile, no B-frames,
# a key frame every GOP seconds (2 by default; the model's keyframe_seconds) so a
# client joining late decodes quickly. camera_sim.py's FILE@FPS/GOP checks it.
set -euo pipefail
src=$1 out=$2 size=${3:-640x360} fps=${4:-5} gop=${5:-2}
keyint=$(awk -v f="$fps" -v g="$gop" 'BEGIN { k = int(f * g + 0.5); print (k < 1 ? 1 : k) }')
params="$size $fps $keyint"
if [ -s "$out" ] && [ "$out" -nt "$src" ] && [ "$(cat "$out.params" 2>/dev/null)" = "$params" ]; then
  echo "$out"; exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
ffmpeg -nostdin -loglevel error -y -i "$src" \
  -vf "scale=${size/x/:},fps=$fps" -an \
  -c:v libx264 -preset medium -profile:v baseline -bf 0 -g "$keyint" \
  -x264-params "keyint_min=$keyint:scenecut=0" \
  -f h264 "$tmp"
mv "$tmp" "$out"
echo "$params" > "$out.params"
echo "$out"
