#!/usr/bin/env bash
# Side-by-side latency of dydet (torch fp32, onnxruntime fp32, torch bf16) and the original PyTorch DynamicDet on this machine
# (a benchmark, not a test).
# Needs: Debian's python3-torch (apt-get install python3-torch python3-yaml python3-opencv python3-scipy
# python3-matplotlib python3-pandas python3-tqdm python3-seaborn python3-torchvision) and a checkout of VDIGPKU/DynamicDet in
# $DYNAMICDET_REPO. Neither is part of dydet. Rounds are interleaved so load changes hit both alike.
# Usage: DYNAMICDET_REPO=/path/to/DynamicDet bench/compare-original.sh [rounds=3] [runs=10]
#        DYNAMICDET_REPO=/path/to/DynamicDet bench/compare-original.sh --train [rounds=3] [runs=3]
# --train: the training column instead: one training step of the original (bench/original_train_step.py, with its
# EMA update) and of dydet (benchmark --train, fp32 and bf16) per setting, images/s side by side.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${DYNAMICDET_REPO:?set DYNAMICDET_REPO to a checkout of VDIGPKU/DynamicDet}"
if [[ "${1:-}" == "--train" ]]; then
  rounds="${2:-3}"; runs="${3:-3}"
  out="$(mktemp -d)"
  # step width batch
  settings=("detector 1.0 4" "detector 0.25 8" "detector 0.25 1" "router 1.0 1" "router 1.0 8")
  bf16=1; grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo || bf16=0
  for r in $(seq 1 "$rounds"); do
    for s in "${settings[@]}"; do
      read -r step width batch <<< "$s"; key="$step-$width-$batch"
      model=dy-yolov7; [[ $step == detector ]] && model=dy-yolov7-step1  # as the original's cfg of each step
      # the original's step 2 takes one image at a time: its batch-1 speed is the baseline of dydet's batched form
      if [[ $step == detector || $batch == 1 ]]; then
        /usr/bin/python3 "$here/bench/original_train_step.py" --repo "$DYNAMICDET_REPO" --step "$step" --width "$width" \
          --img 320 --batch "$batch" --threads 2 --warmup 1 --runs "$runs" 2>/dev/null > "$out/py-$key-$r.json"
      fi
      "$here/dydet" benchmark --train --step "$step" --model "$model" --width "$width" --img 320 --batch "$batch" \
        --threads 2 --warmup 1 --runs "$runs" --json 2>/dev/null > "$out/fp32-$key-$r.json"
      if [[ $bf16 == 1 ]]; then
        "$here/dydet" benchmark --train --step "$step" --model "$model" --width "$width" --img 320 --batch "$batch" \
          --threads 2 --warmup 1 --runs "$runs" --json --precision bf16 2>/dev/null > "$out/bf16-$key-$r.json"
      fi
    done
    echo "round $r done" >&2
  done
  python3 - "$out" "$rounds" "$bf16" "${settings[@]}" <<'PY'
import json, statistics, sys
out, rounds, bf16, settings = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"training step, 320 px, 2 threads, {rounds} interleaved rounds, CPU: {cpu}")
print("| step | width | batch | original images/s | dydet fp32 images/s (x) | dydet bf16 images/s (x) | peak RSS original / fp32 / bf16 |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for s in settings:
    step, width, batch = s.split(); key = f"{step}-{width}-{batch}"
    def load(prefix):
        try: return [json.load(open(f"{out}/{prefix}-{key}-{r}.json")) for r in range(1, rounds + 1)]
        except (OSError, ValueError): return None
    py, fp, bf = load("py"), load("fp32"), load("bf16") if bf16 else None
    if py is None and step == "router":  # the original trains the router one image at a time
        key1 = f"{step}-{width}-1"
        py = [json.load(open(f"{out}/py-{key1}-{r}.json")) for r in range(1, rounds + 1)]
    ips = lambda runs: statistics.median(x["images_per_s"] for x in runs)
    rng = lambda runs: f"{min(x['images_per_s'] for x in runs):.2f}-{max(x['images_per_s'] for x in runs):.2f}"
    rss = lambda runs: f"{max(x['peak_rss_bytes'] for x in runs) / 2**30:.2f}" if runs else "-"
    base = ips(py)
    cell = lambda runs: f"{ips(runs):.2f} ({rng(runs)}, {ips(runs) / base:.2f}x)" if runs else "-"
    print(f"| {step} | {width} | {batch} | {base:.2f} ({rng(py)}) | {cell(fp)} | {cell(bf)} | {rss(py)} / {rss(fp)} / {rss(bf)} GiB |")
PY
  exit 0
fi
rounds="${1:-3}"; runs="${2:-10}"
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
