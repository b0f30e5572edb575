#!/usr/bin/env bash
# Build vigie/detector:<version> and :latest. Cached: does nothing when the image
# carries the hash of the current sources (Dockerfile, lock, package). Prints the tag.
#   detector_image/build-image.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$here/src/vigie_detector/__init__.py")
image=vigie/detector:$version
# The image's account: the model's uid (the detector hosts' folders belong to it).
uid=$(sed -n 's/^DETECTOR_UID = \([0-9]*\)$/\1/p' "$root/src/vigie/desired/constants.py")
[ -n "$uid" ] || { echo "build-image.sh: no DETECTOR_UID in src/vigie/desired/constants.py" >&2; exit 1; }

src_hash=$(cd "$here" && { echo "uid $uid"; cat Dockerfile .dockerignore vigie_schedule.sha256 requirements.lock pyproject.toml;
  find src/vigie_detector -name '*.py' | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "vigie.source-hash" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$src_hash" ]; then
  docker tag "$image" vigie/detector:latest
  echo "$image"; exit 0
fi
base=$(bash "$root/scripts/base-image.sh" slim)
"$here/wheelhouse.sh" >/dev/null
echo "building $image (source $src_hash)" >&2
DOCKER_BUILDKIT=0 docker build -q --build-arg BASE_IMAGE="$base" --build-arg VIGIE_UID="$uid" \
  --label "vigie.source-hash=$src_hash" --label "org.opencontainers.image.version=$version" \
  -t "$image" -t vigie/detector:latest "$here" >/dev/null
echo "$image"
