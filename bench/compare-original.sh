#!/usr/bin/env bash
# Side-by-side latency of dydet (torch fp32, onnxruntime fp32, torch bf16) and the original PyTorch DynamicDet on this machine
# (a benchmark, not a test).
# Needs: Debian's python3-torch (apt-get install python3-torch python3-yaml python3-opencv python3-scipy
# python3-matplotlib python3-pandas python3-tqdm python3-seaborn python3-torchvision) and a checkout of VDIGPKU/DynamicDet in
# $DYNAMICDET_REPO. Neither is part of dydet. Rounds are interleaved so load changes hit both alike.
# Usage: DYNAMICDET_REPO=/path/to/DynamicDet bench/compare-original.sh [rounds=3] [runs=10]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"; runs="${2:-10}"
: "${DYNAMICDET_REPO:?set DYNAMICDET_REPO to a checkout of VDIGPKU/DynamicDet}"
out="$(mktemp -d)"
for r in $(seq 1 "$rounds"); do
  /usr/bin/python3 "$here/bench/original_latency.py" --model dy-yolov7 --img 640 --threads 2 --runs "$runs" 2>/dev/null > "$out/py$r.json"
  "$here/dydet" benchmark --model dy-yolov7 --img 640 --threads 2 --fused --runs "$runs" --json 2>/dev/null > "$out/java$r.json"
  "$here/dydet" benchmark --model dy-yolov7 --img 640 --threads 2 --fused --runs "$runs" --json --backend onnxruntime 2>/dev/null > "$out/ort$r.json"
  "$here/dydet" benchmark --model dy-yolov7 --img 640 --threads 2 --fused --runs "$runs" --json --precision bf16 2>/dev/null > "$out/bf16$r.json"
  echo "round $r done" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
for route in ("route1", "route2"):
    py = [json.load(open(f"{out}/py{r}.json"))[route]["median_s"] for r in range(1, rounds + 1)]
    for backend, prefix in (("torch fp32", "java"), ("onnxruntime fp32", "ort"), ("torch bf16", "bf16")):
        jv = [json.load(open(f"{out}/{prefix}{r}.json"))[route]["median_s"] for r in range(1, rounds + 1)]
        ratios = [p / j for p, j in zip(py, jv)]
        print(f"{route}: original median {statistics.median(py):.3f} s, dydet {backend} median {statistics.median(jv):.3f} s, "
              f"speed-up {statistics.median(py) / statistics.median(jv):.2f}x (per round {', '.join(f'{x:.2f}' for x in ratios)})")
PY
