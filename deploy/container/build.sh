#!/usr/bin/env bash
# Build the bus's image with podman, without any container registry: the base is made from
# Debian's packages with mmdebstrap (the host's own apt sources), the bus and its dependencies
# are built as wheels here, then deploy/Containerfile installs them on the base offline. Usage: deploy/container/build.sh [TAG]   (default: agency-bus:latest)
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG=${1:-agency-bus:latest}
BASE=${BUS_IMAGE_BASE:-localhost/agency-bus-base:bookworm}
SUITE=${BUS_IMAGE_SUITE:-bookworm}

# runc, not crun: crun refuses hosts with a hybrid cgroup v1/v2 layout. Explicit limits, lower than
# podman's defaults: raising a hard limit needs CAP_SYS_RESOURCE, which a VM may withhold.
RUN_OPTS=(--runtime runc --ulimit "nofile=$(ulimit -n):$(ulimit -n)" --ulimit nproc=4096:4096)

if ! podman image exists "$BASE"; then
    sources=/etc/apt/sources.list.d/debian.sources
    [ -f "$sources" ] || sources=/etc/apt/sources.list
    rootfs=$(mktemp --suffix=.tar)
    trap 'rm -f "$rootfs"' EXIT
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates,passwd \
        "$SUITE" "$rootfs" "$sources"
    podman import --quiet "$rootfs" "$BASE" >/dev/null
fi
rm -rf build/wheels
"${PYTHON:-python3}" -m pip wheel --quiet --wheel-dir build/wheels .
podman build --quiet "${RUN_OPTS[@]}" --network host --build-arg "BASE=$BASE" \
    -f deploy/Containerfile -t "$TAG" . >/dev/null
echo "$TAG"
