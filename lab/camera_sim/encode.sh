#!/usr/bin/env bash
# Encode real footage ONCE into a raw H.264 elementary stream (Annex B) that the
# camera simulator serves without re-encoding. Cached: skips when OUT is newer than SRC.
#   lab/camera_sim/encode.sh SRC OUT [WIDTHxHEIGHT] [FPS]
# Defaults match a camera substream: 640x360, 5 fps, baseline profile, no B-frames,
# a key frame every 2 s so a client joining late decodes quickly.
set -euo pipefail
src=$1 out=$2 size=${3:-640x360} fps=${4:-5}
if [ -s "$out" ] && [ "$out" -nt "$src" ]; then echo "$out"; exit 0; fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
ffmpeg -nostdin -loglevel error -y -i "$src" \
  -vf "scale=${size/x/:},fps=$fps" -an \
  -c:v libx264 -preset medium -profile:v baseline -bf 0 -g $((fps * 2)) \
  -x264-params "keyint_min=$((fps * 2)):scenecut=0" \
  -f h264 "$tmp"
mv "$tmp" "$out"
echo "$out"
