#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (docs/gpu.md): builds ganbook's GPU feature,
# runs the GPU test suite on the real GPU, then times DCGAN 64 at batch 128 on ganbook
# (--device wgpu: Vulkan on NVIDIA's driver) beside PyTorch eager CUDA and torch.compile, in
# one process each way, alternating step by step (`ganbook bench steps --torch`), and prints
# the ratios and each side's peak GPU memory (nvidia-smi, per process).
#
#   benches/gpu_check.sh                  # PYTHON=python3 by default: needs torch with CUDA
#   QUICK=1 benches/gpu_check.sh          # skip the test suite
#
# Meant to finish in under 10 minutes on a 16-core machine whose cargo target dir
# ($CARGO_TARGET_DIR, default ~/.cache/ganbook-target-gpu) already holds a build.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ganbook-target-gpu}"
PYTHON="${PYTHON:-python3}"
STEPS="${STEPS:-20}"
out="${OUT:-outputs/gpu_check}"
mkdir -p "$out"
say() { echo "== $*"; }

say "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || {
  echo "no NVIDIA GPU visible (nvidia-smi failed): nothing to check"
  exit 1
}
command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverInfo|apiVersion" | head -6
nproc

say "build (cargo build --release --features wgpu; cargo test --no-run --features wgpu)"
start=$SECONDS
cargo build --release --features wgpu 2>&1 | tail -2 || exit 1
if [ -z "${QUICK:-}" ]; then
  cargo test --release --features wgpu --no-run 2>&1 | tail -1
fi
echo "build took $((SECONDS - start)) s"
bin="$CARGO_TARGET_DIR/release/ganbook"

if [ -z "${QUICK:-}" ]; then
  say "GPU test suite on the GPU (GANBOOK_TEST_DEVICE=wgpu)"
  start=$SECONDS
  # every script in scripts/ in quick mode on the GPU beside the CPU (tests/device_scripts.rs)
  GANBOOK_TEST_DEVICE=wgpu cargo test --release --features wgpu --test gpu --test numerics \
    --test gradient_penalty --test memory_limit --test device_scripts 2>&1 | grep -E "^test result|FAILED|panicked" | head -40
  echo "suite took $((SECONDS - start)) s"
fi

# Peak GPU memory per process: nvidia-smi every 100 ms while the benches run.
poll() {
  nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits \
    -lms 100 >"$1" 2>/dev/null &
  echo $!
}
peaks() {
  # pid, name, largest used_memory (MiB) seen
  sort -t, -k1,1 -k3,3n "$1" | awk -F', *' '{m[$1]=$3; n[$1]=$2} END {for (p in m) printf "  pid %s %s peak_gpu_mb=%s\n", p, n[p], m[p]}'
}

if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "PyTorch with CUDA is not available to $PYTHON: timing ganbook alone"
  "$bin" bench steps --device wgpu --only dcgan64 --batch 128 --steps "$STEPS" --warmup 5
  exit 0
fi

for compile in "" "--torch-compile"; do
  say "DCGAN 64, batch 128: ganbook --device wgpu vs PyTorch cuda ${compile:-eager}"
  log="$out/nvidia-smi${compile}.csv"
  poller=$(poll "$log")
  "$bin" bench steps --device wgpu --only dcgan64 --batch 128 --steps "$STEPS" --warmup 5 \
    --torch "$PYTHON" --torch-device cuda $compile 2>&1 | tee "$out/bench${compile}.txt"
  kill "$poller" 2>/dev/null
  peaks "$log"
done
say "done: $out"
