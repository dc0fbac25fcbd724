#!/usr/bin/env bash
# The GPU check: one script a session with a lent GPU machine runs as is (device tool `run`:
#   bash scripts/gpu-check.sh), printing one JSON line per check and per benchmark row on stdout.
# On a machine without an NVIDIA GPU (this one, CI) it prints {"check":"gpu","gpu":false,...} and exits 0.
#
# On a GPU it runs:
#   1. setup: nvidia-smi, node, node_modules, onnxruntime-node's CUDA provider. A lent machine reaches
#      no network, so nothing is downloaded: node_modules comes from `npm ci --offline` (npm's cache) or
#      travels with the tree; the provider libraries (libonnxruntime_providers_shared.so and
#      libonnxruntime_providers_cuda.so of onnxruntime-node's exact version, from `npm run setup:cuda` on
#      a machine with network) are taken from shared/ort-cuda/ when they are not in place yet. What is
#      missing is named in one {"check":"setup","ok":false,"missing":[...]} line (exit 2).
#   2. the CUDA tests (native-runner/train/train-step-cuda.test.ts, GPU_CHECK=1): K-step Scan on CUDA
#      against the CPU, frozen tensors bit-identical, bytes per step.
#   3. `bench:train --device cuda` for small, big and base (MLM and CLM) with K = 1 and 8: one JSON row
#      each (ms_per_step, tokens_per_s, GFLOP/s, bytes_per_step crossing the session boundary).
# Budget: about 6-8 minutes on an H200 (base rows dominate); GPU_CHECK_SHAPES="small big" skips base.
set -uo pipefail
cd "$(dirname "$0")/.."

line() { printf '%s\n' "$1"; }
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  line '{"check":"gpu","gpu":false,"message":"no GPU: nvidia-smi finds no NVIDIA device here; nothing to check"}'
  exit 0
fi
line "{\"check\":\"gpu\",\"gpu\":true,\"device\":\"$(esc "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)")\"}"

missing=()
command -v node >/dev/null 2>&1 || missing+=("node (Node.js >= 20)")
if [ ! -d node_modules/onnxruntime-node ] && command -v npm >/dev/null 2>&1; then
  npm ci --offline --no-audit --no-fund >/dev/null 2>&1 || true
fi
[ -d node_modules/onnxruntime-node ] || missing+=("node_modules (npm ci --offline found no cache; carry node_modules or an npm cache)")
ORT_BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ -d "$ORT_BIN" ] && [ ! -f "$ORT_BIN/libonnxruntime_providers_cuda.so" ] && [ -f shared/ort-cuda/libonnxruntime_providers_cuda.so ]; then
  cp shared/ort-cuda/*.so "$ORT_BIN"/
fi
[ -f "$ORT_BIN/libonnxruntime_providers_cuda.so" ] || missing+=("ORT CUDA provider in $ORT_BIN (run npm run setup:cuda where there is network, copy its libonnxruntime_providers_*.so into shared/ort-cuda/)")
if [ ${#missing[@]} -gt 0 ]; then
  printf '{"check":"setup","ok":false,"missing":['
  for i in "${!missing[@]}"; do [ "$i" -gt 0 ] && printf ','; printf '"%s"' "$(esc "${missing[$i]}")"; done
  printf ']}\n'
  exit 2
fi
line '{"check":"setup","ok":true}'

if GPU_CHECK=1 npx vitest run native-runner/train/train-step-cuda.test.ts >/tmp/gpu-check-tests.log 2>&1; then
  line '{"check":"cuda-tests","ok":true}'
else
  line "{\"check\":\"cuda-tests\",\"ok\":false,\"tail\":\"$(esc "$(tail -c 1500 /tmp/gpu-check-tests.log | tr '\n' ' ')")\"}"
fi

for shape in ${GPU_CHECK_SHAPES:-small big base}; do
  for run in 0 1; do   # RUNS[0] = MLM, RUNS[1] = CLM (scripts/bench-train.ts)
    npx tsx scripts/bench-train.ts --only "$shape" --run "$run" --device cuda --steps-per-call 1,8 --steps 8 --warmup 2 --json 2>/tmp/gpu-check-bench.log \
      || line "{\"check\":\"bench\",\"shape\":\"$shape\",\"run\":$run,\"ok\":false,\"tail\":\"$(esc "$(tail -c 800 /tmp/gpu-check-bench.log | tr '\n' ' ')")\"}"
  done
done
