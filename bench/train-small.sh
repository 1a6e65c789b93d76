#!/usr/bin/env bash
# Learning check (issue 5): dy-yolov7 at width 0.25 trained from scratch on the first 16 images of coco128 at
# 320 px, validated on the same images. The original's COCO schedule (>= 1000 warmup iterations, accumulation to
# 64 images, mosaic) does not fit a 2-core machine; this is the small-data recipe: no mosaic/mixup/paste-in,
# milder scale/translate jitter, Adam lr 0.001 with a 20-iteration warmup, batch 4 with a step per batch.
# Usage: bench/train-small.sh [coco128 folder] [epochs] [precision: fp32|bf16]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src="${1:-$here/../shared/data/coco128}"
epochs="${2:-200}"
precision="${3:-fp32}"
work="$(mktemp -d)"
mkdir -p "$work/images/train" "$work/labels/train"
for f in $(ls "$src/images/train2017" | sort | head -16); do
  cp "$src/images/train2017/$f" "$work/images/train/"
  l="$src/labels/train2017/${f%.*}.txt"
  [[ -f "$l" ]] && cp "$l" "$work/labels/train/"
done
{ echo "train: images/train"; echo "val: images/train"; echo "nc: 80"; grep '^names' "$src/data.yaml"; } > "$work/data.yaml"
sed -e 's/^mosaic: .*/mosaic: 0.0/' -e 's/^mixup: .*/mixup: 0.0/' -e 's/^paste_in: .*/paste_in: 0.0/' \
    -e 's/^scale: .*/scale: 0.25/' -e 's/^translate: .*/translate: 0.1/' -e 's/^warmup_epochs: .*/warmup_epochs: 1.0/' \
    -e 's/^warmup_bias_lr: .*/warmup_bias_lr: 0.001/' \
    "$here/src/main/resources/io/dydet/data/hyp/hyp.scratch.p5.yaml" > "$work/hyp.small.yaml"
start=$(date +%s)
"$here/dydet" train --model dy-yolov7 --width 0.25 --data "$work/data.yaml" --hyp "$work/hyp.small.yaml" --optimizer adam --lr0 0.001 \
  --epochs "$epochs" --batch 4 --nominal-batch 4 --min-warmup 20 --img 320 --workers 1 --val-batch 16 --val-every 10 \
  --precision "$precision" --project "$work/runs" --name small
echo "wall time: $(( $(date +%s) - start )) s; run folder: $work/runs/small (results.csv, results.png)"
