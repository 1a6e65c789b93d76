#!/usr/bin/env bash
# Images/s of dydet spark-detect in local[2] against plain dydet detect on the same images and model (a benchmark,
# not a test). Default: the 128 coco128 images, the golden dy-yolov7 width-0.25 weights at 640 px, 2 threads.
# Usage: bench/spark-overhead.sh [images dir] [rounds = 2]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images="${1:-$here/../shared/data/coco128/images/train2017}"
rounds="${2:-2}"
g="$here/src/test/resources/golden"
out="$(mktemp -d)"
for r in $(seq 1 "$rounds"); do
  s=$(date +%s.%N)
  "$here/dydet" detect --weights "$g/dy-yolov7-w025.safetensors" --cfg "$g/dy-yolov7-w025.yaml" --img 640 --threads 2 \
    --source "$images" --no-save-img --project "$out/detect" >/dev/null 2>&1
  e=$(date +%s.%N)
  echo "round $r: dydet detect (JVM start included): $(echo "$e - $s" | bc) s"
  "$here/dydet" spark-detect --weights "$g/dy-yolov7-w025.safetensors" --cfg "$g/dy-yolov7-w025.yaml" --img 640 --threads 1 \
    --source "$images" --out "$out/spark$r" --master "local[2]" 2>/dev/null | head -1
  s2=$(date +%s.%N)
  echo "round $r: dydet spark-detect local[2] (JVM and Spark start included): $(echo "$s2 - $e" | bc) s"
done
