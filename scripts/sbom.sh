#!/usr/bin/env bash
# A CycloneDX software bill of materials for what the platform ships, from the
# lock it is installed from (exact versions and sha256) and the package's own
# pyproject.toml as the root component. cyclonedx-py validates it against the
# CycloneDX schema before writing. A copy is kept in .cache/artefacts/sbom/NAME.cdx.json.
#   scripts/sbom.sh PYPROJECT LOCK OUT NAME
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pyproject=$1 lock=$2 out=$3 name=$4
# Reproducible: the same lock gives the same bytes (no timestamp, no serial number).
PYTHONWARNINGS=ignore::UserWarning "$root/.venv/bin/cyclonedx-py" requirements \
  --pyproject "$pyproject" --output-reproducible --of JSON -o "$out" "$lock"
mkdir -p "$root/.cache/artefacts/sbom"
cp "$out" "$root/.cache/artefacts/sbom/$name.cdx.json"
