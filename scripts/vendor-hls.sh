#!/usr/bin/env bash
# Vendor hls.js for the operator's page at build time: the npm
# package at a pinned version, checked against its registry integrity (SHA-512),
# copied to src/vigie_access/static/hls.min.js (git-ignored). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=1.7.4
integrity='sha512-3GlxGdPvT2YHvQYOt+yOzT/DEior/qJVNIylHA77kgeoBTdQQqi70GwefNEUmHQeNGyjC8U62+bruqW/Tpm+tg=='
out=$root/src/vigie_access/static/hls.min.js
stamp=$out.version
if [ -s "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=$tmp/hls.js-$version.tgz
if command -v npm >/dev/null; then
  (cd "$tmp" && npm pack --silent "hls.js@$version" >/dev/null)
else  # the same tarball from the npm registry; the integrity check below is the same
  python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
    "https://registry.npmjs.org/hls.js/-/hls.js-$version.tgz" "$tgz"
fi
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
  echo "vendor-hls: hls.js $version does not match its pinned integrity" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/dist/hls.min.js package/LICENSE
cp "$tmp/package/dist/hls.min.js" "$out"
echo "$version" > "$stamp"
echo "vendor-hls: hls.js $version -> $out" >&2
