#!/usr/bin/env bash
# The prepared device run (issue 13): from a fresh x86-64 machine with an NVIDIA GPU, nothing
# installed and no network, with .device/ (made by `node bench/device/pack.mjs`) carried beside
# the repository. Unpacks the Vulkan loader (.device/gl/*.deb) and the bundle (node, the compiled
# benchmarks, node_modules, a CIFAR-10 subset), finds the NVIDIA Vulkan driver, and runs the
# phases of bench/device/device-run.mjs within 9 minutes in all, writing device-result.json,
# device-log.txt and the benchmarks' JSON under $OUT.
#
#   bash bench/device/run.sh             on the GPU machine (the device tool: see docs/results.md)
#   bash bench/device/run.sh --dry-run   the same phases at tiny sizes here, on SwiftShader (CI)
set -uo pipefail
cd "$(dirname "$0")/../.."
START=$SECONDS
TOTAL_S=${GMGRAD_DEVICE_TOTAL:-540}
OUT=${OUT:-/tmp/gmgrad-device-out}
mkdir -p "$OUT"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/gmgrad-xdg}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

if [ "${1:-}" = "--dry-run" ]; then
  STAGE=${GMGRAD_DEVICE_STAGE:-/tmp/gmgrad-device-dry}
  export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}
  # a CIFAR-10 folder for the tiny training run: $GMGRAD_DATA/cifar10, or the shared data beside a checkout
  CIFAR=${GMGRAD_DATA:+$GMGRAD_DATA/cifar10}
  [ -n "$CIFAR" ] || CIFAR=$(cd .. && pwd)/shared/data/cifar10
  MNIST=${GMGRAD_DATA:+$GMGRAD_DATA/mnist}
  [ -n "$MNIST" ] || MNIST=$(cd .. && pwd)/shared/data/mnist
  node bench/device/pack.mjs --dry-run --stage "$STAGE" $([ -d "$CIFAR" ] && echo --cifar "$CIFAR") \
    $([ -f "$MNIST/train-images-idx3-ubyte.gz" ] && echo --mnist "$MNIST") || exit 2
  exec "$STAGE/node/bin/node" bench/device/device-run.mjs --dry-run --stage "$STAGE" --out "$OUT"
fi

STAGE=/tmp/gmgrad-device
if [ ! -f .device/bundle.tar.xz ]; then
  echo "run.sh: .device/bundle.tar.xz is missing: run node bench/device/pack.mjs here and carry .device" >&2
  exit 2
fi
# the Vulkan loader, unpacked over / (the device README's recipe); the driver is the machine's
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .device/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; break; fi
done
[ -n "${VK_ICD_FILENAMES:-}" ] || echo "run.sh: no NVIDIA Vulkan ICD file found; Dawn will search the loader's default places" >&2
rm -rf "$STAGE" && mkdir -p "$STAGE"
# python3's lzma where no xz binary is installed
if command -v xz >/dev/null; then
  tar -xJf .device/bundle.tar.xz -C "$STAGE" || exit 2
else
  python3 -c "import tarfile, sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" .device/bundle.tar.xz "$STAGE" || exit 2
fi
# Dawn needs GLIBCXX_3.4.30: the packed libstdc++ where the system's is older
SYSTEM_CXX=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -f "$STAGE/lib/libstdc++.so.6" ] && ! grep -qa GLIBCXX_3.4.30 "${SYSTEM_CXX:-/nonexistent}"; then
  export LD_LIBRARY_PATH="$STAGE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# the tests import their packages from the repository's node_modules
[ -e node_modules ] || ln -s "$STAGE/node_modules" node_modules
# the CLI (the paper recipes) runs from the repository's dist/, beside the recipes/ it reads: a copy,
# since Node resolves a linked module to its real path
[ -e dist ] || cp -r "$STAGE/dist" dist
echo "run.sh: unpacked in $((SECONDS - START)) s; $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
export GMGRAD_DEVICE_DEADLINE=$((TOTAL_S - (SECONDS - START)))
exec "$STAGE/node/bin/node" bench/device/device-run.mjs --stage "$STAGE" --out "$OUT"
