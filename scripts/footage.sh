#!/usr/bin/env bash
# Real footage for camera simulators, detector tests and benchmarks: the sample
# videos shipped by Debian's opencv-doc package (docs/build-host.md). Cached in .cache/footage.
#   scripts/footage.sh            -> prints the folder holding vtest.avi, tree.avi, Megamind.avi
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FOOTAGE_DIR:-$root/.cache/footage}
names=(vtest.avi tree.avi Megamind.avi)
have_all=true
for n in "${names[@]}"; do [ -s "$out/$n" ] || have_all=false; done
if ! $have_all; then
  mkdir -p "$out"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download opencv-doc >/dev/null 2>&1) || {
    apt-get update -qq && (cd "$tmp" && apt-get download opencv-doc >/dev/null)
  }
  for n in "${names[@]}"; do
    dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb \
      | tar -x -O "./usr/share/doc/opencv-doc/examples/data/$n" > "$out/$n"
  done
fi
echo "$out"
