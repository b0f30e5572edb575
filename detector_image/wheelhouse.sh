#!/usr/bin/env bash
# Prepare the detector image's wheelhouse ON THE HOST (containers cannot reach
# PyPI over HTTPS here, and an offline, hash-pinned build is what a corporate
# proxy needs too). Every wheel is checked against requirements.lock, which
# `make lock` resolves from requirements.in (uv, exact versions and sha256).
# The wheelhouse carries the image's software bill of materials (CycloneDX,
# sbom.cdx.json), copied into the image and kept in .cache/artefacts/sbom/.
#   detector_image/wheelhouse.sh          -> fills detector_image/wheelhouse/ (cached)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${VENV_BIN:-"$here/../.venv/bin"}
out=$here/wheelhouse
# The image's Python: Debian bookworm's CPython 3.11 on x86-64 (glibc 2.36).
target=(--only-binary=:all: --implementation cp --python-version 3.11 --abi cp311
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64
        --platform manylinux2014_x86_64 --platform any)

# The opening-hours module is the recorder role's file; staged at every call (the
# Dockerfile checks it against vigie_schedule.sha256, so a stale copy fails the build).
stage_schedule() { install -m 0644 "$here/../roles/recorder/files/vigie_schedule.py" "$out/"; }

stamp=$out/.lock-sha256
want=$(cat "$here/requirements.lock" "$here/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then stage_schedule; echo "$out"; exit 0; fi
rm -rf "$out"; mkdir -p "$out"
stage_schedule
"$bin/pip" download -q --no-deps --require-hashes "${target[@]}" -r "$here/requirements.lock" -d "$out" \
  2> >(grep -v "is ignored" >&2)
cp "$here/requirements.lock" "$out/requirements.lock"
bash "$here/../scripts/sbom.sh" "$here/pyproject.toml" "$here/requirements.lock" "$out/sbom.cdx.json" detector
echo "$want" > "$stamp"
echo "$out"
