#!/bin/bash
# The issue-11 benchmark batch (docs/benchmarks.md, "Real model sizes"): every shape against PyTorch,
# the GEMM ceiling at the start and the end. Run it with nothing else on the machine (about 22 min);
# needs python3-torch (Debian) for the --vs-torch rows. Each vs-torch row runs twice: this VM is noisy.
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=SkylakeX
echo "== start $(date -u +%H:%M:%S) $(uptime) commit $(git rev-parse --short HEAD)"
npm run -s bench:train -- --peak --threads 2 --only big --steps 8 --warmup 2 --steps-per-call 1,8
for pass in 1 2; do
echo "== pass $pass vs torch small K=1 $(uptime)"
npm run -s bench:train -- --vs-torch --only small --steps 20 --warmup 3 --run 0
npm run -s bench:train -- --vs-torch --only small --steps 20 --warmup 3 --run 1
echo "== pass $pass vs torch big K=1 / K=8 $(uptime)"
for K in 1 8; do for r in 0 1; do npm run -s bench:train -- --vs-torch --only big --steps 10 --warmup 2 --run $r --steps-per-call $K; done; done
echo "== pass $pass vs torch base K=1 $(uptime)"
for r in 0 1; do npm run -s bench:train -- --vs-torch --only base --steps 4 --warmup 1 --run $r --steps-per-call 1; done
done
echo "== vs torch base K=8 $(uptime)"
for r in 0 1; do npm run -s bench:train -- --vs-torch --only base --steps 2 --warmup 1 --run $r --steps-per-call 8; done
echo "== extraction base $(uptime)"
npm run -s bench:extract -- --shape base --vs-torch 2>&1 | tail -5
echo "== peak again $(uptime)"
npm run -s bench:train -- --peak --threads 2 --only small --steps 3 --warmup 1 | grep -E "GEMM|FMA"
echo "== end $(date -u +%H:%M:%S) $(uptime)"
