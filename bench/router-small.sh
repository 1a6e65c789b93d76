#!/usr/bin/env bash
# Step 2 on a small data set (issue 6): train the router of a step-1 model, calibrate it, then compare the AP of
# the trained router's 50/50 easy/hard split with random 50/50 splits (several seeds), and report the router's
# rank correlation with the per-image loss gap L1 - L2 (results.csv, column train/rank_corr).
# The original's recipe (AdamW 1e-5, >= 1000 warmup iterations, accumulation over 64 images, 2 epochs) barely moves
# a router on a few images; this small-data recipe uses AdamW 1e-3, no warmup, accumulation over 4 images.
# Usage: bench/router-small.sh STEP1_MODEL.safetensors DATA.yaml [img] [epochs] [seeds]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; data="$2"; img="${3:-320}"; epochs="${4:-20}"; seeds="${5:-1 2 3 4 5}"
work="$(mktemp -d)"
"$here/dydet" train-router --weights "$model" --data "$data" --img "$img" --epochs "$epochs" --batch 4 --nominal-batch 4 \
  --lr0 0.001 --min-warmup 0 --workers 1 --project "$work" --name router
router="$work/router/weights/last.safetensors"
"$here/dydet" calibrate --weights "$router" --data "$data" --img "$img"
echo "== trained router"
"$here/dydet" val --weights "$router" --data "$data" --img "$img" --sweep --project "$work" --name val-trained | tail -14
for s in $seeds; do
  echo "== random router, seed $s"
  "$here/dydet" val --weights "$router" --data "$data" --img "$img" --sweep --router random --seed "$s" --project "$work" --name "val-random$s" | grep -E "^0\.[0-9]+ +50\.0|threshold"
done
echo "rank correlation per epoch (score vs -(L1 - L2)):"
python3 - "$work/router/results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(", ".join(f"{r['epoch']}: {float(r['train/rank_corr']):.3f}" for r in rows))
PY
echo "run folders in $work"
