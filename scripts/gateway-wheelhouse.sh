#!/usr/bin/env bash
# The access gateway's wheelhouse, built on the controller: the exact wheels of
# requirements/gateway.lock (sha256 checked on download, checked again by pip on
# the host), vigie's own wheel, the lock, and the CycloneDX bill of materials.
# roles/access_gateway installs from it with --no-index --require-hashes.
# Cached: rebuilt only when the lock or vigie's sources change.
#   scripts/gateway-wheelhouse.sh [OUT]     (default .cache/wheels)
# Prints "built OUT" or "up to date OUT" (the playbooks' changed_when reads it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-.cache/wheels}
bin=$root/.venv/bin
lock=requirements/gateway.lock

bash scripts/vendor-hls.sh
key=$( { cat "$lock" pyproject.toml src/vigie_access/static/hls.min.js.version;
         find -L src/vigie src/vigie_access -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
           | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/.source-sha256" 2>/dev/null)" = "$key" ]; then
  echo "up to date $out"; exit 0
fi
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
"$bin/pip" download --quiet --disable-pip-version-check --no-deps --require-hashes \
  --only-binary=:all: -r "$lock" -d "$tmp" 2> >(grep -v "is ignored" >&2)
"$bin/pip" wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w "$tmp" . \
  2> >(grep -v "is ignored" >&2)
cp "$lock" "$tmp/requirements.lock"
bash scripts/sbom.sh pyproject.toml "$lock" "$tmp/sbom.cdx.json" gateway
echo "$key" > "$tmp/.source-sha256"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
echo "built $out"
