#!/usr/bin/env bash
# Load test of dydet serve on this machine (a benchmark, not a test): requests/s and p50/p99 latency at 1, 4 and 16
# concurrent clients, with micro-batching (batches of up to 8 within 5 ms) and without it, for the full dy-yolov7
# at 640 px and for dy-yolov7 at width 0.25 and 320 px. Weights are initialised (speed does not depend on them);
# images are the first 64 of coco128. Client and server share the machine's cores, as they would on one host.
# Usage: bench/serve-load.sh [seconds per level = 20] [coco128 images dir]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-20}"
images="${2:-$here/../shared/data/coco128/images/train2017}"
out="$here/runs/serve-load"
mkdir -p "$out"
"$here/dydet" serve-benchmark --model dy-yolov7 --img 640 --threads 2 --source "$images" --images 64 \
  --clients 1,4,16 --seconds "$seconds" -o "$out/dy-yolov7-640.json"
"$here/dydet" serve-benchmark --model dy-yolov7 --width 0.25 --img 320 --threads 2 --source "$images" --images 64 \
  --clients 1,4,16 --seconds "$seconds" -o "$out/dy-yolov7-w025-320.json"
