#!/usr/bin/env bash
# Prepares a software Vulkan driver (Mesa's lavapipe, "llvmpipe") in .cache/vulkan/ so the webgpu
# backend (Dawn) can be tested on a machine without a GPU. Idempotent: a prepared folder is reused.
#
# Why backports: bookworm's lavapipe (Mesa 22.3) lacks features Dawn requires ("Vulkan
# shaderUniform*ArrayDynamicIndexing required"); bookworm-backports' Mesa 25 has them and runs on
# bookworm's own libllvm15. The driver is unpacked into the project, not installed, so the
# system's Mesa is left alone; the ICD json is rewritten to name the driver by absolute path,
# because the shipped one names the bare file name and the loader would find the system's old one.
#
# Prints the environment to export (VK_ICD_FILENAMES, MESA_SHADER_CACHE_DIR, XDG_RUNTIME_DIR)
# as `export NAME=value` lines on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/.cache/vulkan"
driver="$root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
icd="$root/lvp_icd.json"
mesa_version='25.0.7-2~bpo12+1'

if [ "$(uname -m)" != x86_64 ]; then
  echo "The software Vulkan driver is prepared for x86-64 Debian only; this machine is $(uname -m)." >&2
  exit 1
fi

# The Vulkan loader and the driver's shared libraries come from bookworm itself.
runtime_libraries=(libvulkan1 libllvm15 libdrm2 libdrm-amdgpu1 libelf1 libexpat1 libwayland-client0 libx11-xcb1
  libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb1 libxshmfence1 libzstd1)
if ! ldconfig -p | grep -q 'libvulkan.so.1 ' || { [ -f "$driver" ] && ldd "$driver" | grep -q 'not found'; } || ! ldconfig -p | grep -q 'libLLVM-15.so.1 '; then
  echo "Installing the Vulkan loader and the driver's runtime libraries from bookworm..." >&2
  apt-get update -qq >&2
  apt-get install -y -qq "${runtime_libraries[@]}" >/dev/null
fi

if [ ! -f "$driver" ] || [ ! -f "$root/.version" ] || [ "$(cat "$root/.version")" != "$mesa_version" ]; then
  echo "Downloading mesa-vulkan-drivers $mesa_version from bookworm-backports..." >&2
  sources=/etc/apt/sources.list.d/bookworm-backports.sources
  if ! apt-cache policy mesa-vulkan-drivers 2>/dev/null | grep -qF "$mesa_version"; then
    if [ ! -f "$sources" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      # The same mirror as the configured bookworm suites, backports suite added.
      mirror=$(grep -rhE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ' || true)
      mirror=${mirror:-http://deb.debian.org/debian}
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" >"$sources"
    fi
    apt-get update -qq >&2
  fi
  download=$(mktemp -d)
  trap 'rm -rf "$download"' EXIT
  (cd "$download" && chmod 777 . && apt-get download -qq "mesa-vulkan-drivers=$mesa_version" >&2)
  rm -rf "$root"
  mkdir -p "$root"
  dpkg-deb -x "$download"/mesa-vulkan-drivers_*.deb "$root"
  echo "$mesa_version" >"$root/.version"
fi

if ldd "$driver" | grep -q 'not found'; then
  echo "The software Vulkan driver $driver misses shared libraries:" >&2
  ldd "$driver" | grep 'not found' >&2
  exit 1
fi

# The ICD manifest the loader reads: the shipped one with the driver's absolute path.
sed -E "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$driver\"#" "$root/usr/share/vulkan/icd.d/lvp_icd.json" >"$icd.tmp"
mv "$icd.tmp" "$icd"
mkdir -p "$root/shader-cache" "$root/runtime"
chmod 700 "$root/runtime"

echo "export VK_ICD_FILENAMES=$icd"
echo "export MESA_SHADER_CACHE_DIR=$root/shader-cache"
echo "export XDG_RUNTIME_DIR=$root/runtime"
