#!/usr/bin/env bash
# Build a Debian 12 base image locally with debootstrap: no registry is reachable
# here (docs/build-host.md), so every image starts from one of these. Cached: does nothing
# when the image already exists.
#   scripts/base-image.sh systemd   -> vigie/debian-systemd:bookworm (molecule, lab hosts)
#   scripts/base-image.sh slim      -> vigie/debian-slim:bookworm    (detector image base)
set -euo pipefail
flavor=${1:-systemd}
case "$flavor" in
  systemd)
    image=vigie/debian-systemd:bookworm
    include=python3,systemd,systemd-sysv,dbus,sudo,iproute2,nftables,ca-certificates,openssh-server,python3-apt,procps
    cmd='CMD ["/lib/systemd/systemd"]'
    ;;
  slim)
    image=vigie/debian-slim:bookworm
    include=python3,ca-certificates
    cmd='CMD ["/usr/bin/python3"]'
    ;;
  *) echo "usage: $0 systemd|slim" >&2; exit 2 ;;
esac

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

# The mirror comes from the machine's own apt configuration, never hard-coded.
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { echo "no Debian mirror found in the apt configuration" >&2; exit 1; }

root=$(mktemp -d /tmp/vigie-rootfs.XXXXXX)
# mktemp makes the folder 0700; it becomes the image's /, which non-root users must traverse.
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
echo "building $image from $mirror (debootstrap, ~40 s)" >&2
debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" >/dev/null
# Same mirror inside the image, so apt works in containers built from it.
echo "deb $mirror bookworm main" > "$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import -c "$cmd" - "$image" >/dev/null
echo "$image"
