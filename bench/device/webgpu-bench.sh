#!/bin/bash
# The WGSL kernels on the lent device's GPU (bench/device/webgpu-node.ts through Dawn's Vulkan backend).
# Carry .devnode: node.gz (this machine's Node, gzipped), node_modules/webgpu (npm webgpu 0.6.2 with only
# dist/linux-x64/dawn.node, gzipped) and webgpu-bench.mjs (esbuild bundle of webgpu-node.ts, webgpu
# external; node -e "require('esbuild').build({entryPoints:['bench/device/webgpu-node.ts'],outfile:'.devnode/webgpu-bench.mjs',
# bundle:true,platform:'node',format:'esm',external:['webgpu']})"), and lib/libvulkan.so.1 (the Vulkan loader, from Debian's libvulkan1: the device has the NVIDIA
# ICD but no loader). Writes $OUT/device-webgpu.md.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
unz() { python3 -c "import gzip, shutil, sys; shutil.copyfileobj(gzip.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$1" "$2"; }
if ! command -v node >/dev/null; then mkdir -p /tmp/nodebin && unz .devnode/node.gz /tmp/nodebin/node && chmod +x /tmp/nodebin/node; export PATH=/tmp/nodebin:$PATH; fi
D=.devnode/node_modules/webgpu/dist/linux-x64
[ -f $D/dawn.node ] || unz $D/dawn.node.gz $D/dawn.node
echo "== $(nvidia-smi -L 2>/dev/null | head -1); Vulkan ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' '); libvulkan: $(ldconfig -p | grep -c libvulkan)"
export LD_LIBRARY_PATH=$PWD/.devnode/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The device's nvidia_icd.json names libGLX_nvidia, whose vkCreateInstance fails without a display;
# the EGL library of the same driver is its headless Vulkan ICD.
printf '{"file_format_version":"1.0.1","ICD":{"library_path":"libEGL_nvidia.so.0","api_version":"1.4.312"}}' > /tmp/egl_icd.json
export VK_ICD_FILENAMES=/tmp/egl_icd.json
cd .devnode
ELEMENTS=1048576 timeout 120 node webgpu-bench.mjs > "$OUT/device-webgpu-small.md" 2>&1; echo "small run rc=$?"; cat "$OUT/device-webgpu-small.md"
ELEMENTS=${ELEMENTS:-16777216} timeout 300 node webgpu-bench.mjs > "$OUT/device-webgpu.md" 2>&1; echo "full run rc=$?"; cat "$OUT/device-webgpu.md"
