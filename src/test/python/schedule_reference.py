"""Reference values for io.dydet.train.Schedule (ScheduleTest), computed with the original YOLOv7/DynamicDet
train-loop formulas (numpy.interp, Python round, math.cos). Run once and commit the output:
    /usr/bin/python3 src/test/python/schedule_reference.py > src/test/resources/train/schedule_reference.json
"""
import json
import math
import sys

import numpy as np
import yaml

HYP = "src/main/resources/io/dydet/data/hyp/"


def case(name, hyp_file, epochs, nb, total_batch, linear, groups, nis, min_warmup=1000, nbs=64):
    hyp = yaml.safe_load(open(HYP + hyp_file))
    accumulate = max(round(nbs / total_batch), 1)
    wd = hyp["weight_decay"]
    wd *= total_batch * accumulate / nbs  # as the original: hyp['weight_decay'] *= ...
    if linear:
        lf = lambda x: (1 - x / (epochs - 1)) * (1.0 - hyp["lrf"]) + hyp["lrf"]
    else:
        lf = lambda x: ((1 - math.cos(x * math.pi / epochs)) / 2) * (hyp["lrf"] - 1) + 1
    nw = max(round(hyp["warmup_epochs"] * nb), min_warmup)
    rows = []
    for ni in nis:
        epoch = ni // nb
        lr = [hyp["lr0"] * lf(epoch)] * groups
        momentum = hyp["momentum"]
        acc = accumulate
        if ni <= nw:
            xi = [0, nw]
            acc = max(1, round(np.interp(ni, xi, [1, nbs / total_batch])))
            lr = [float(np.interp(ni, xi, [hyp["warmup_bias_lr"] if j == 2 else 0.0, hyp["lr0"] * lf(epoch)]))
                  for j in range(groups)]
            momentum = float(np.interp(ni, xi, [hyp["warmup_momentum"], hyp["momentum"]]))
        rows.append({"ni": ni, "epoch": epoch, "lr": lr, "momentum": momentum, "accumulate": acc,
                     "interp_accumulate": float(np.interp(ni, [0, nw], [1, nbs / total_batch]))})
    return {"name": name, "hyp": hyp_file, "epochs": epochs, "nb": nb, "total_batch": total_batch, "linear": linear,
            "groups": groups, "min_warmup": min_warmup, "nbs": nbs, "nw": nw, "weight_decay": wd,
            "accumulate_after_warmup": accumulate, "lf": [lf(e) for e in range(epochs)] if epochs <= 300 else [],
            "rows": rows}


cases = [
    case("step1 batch 16", "hyp.scratch.p5.yaml", 300, 200, 16, False, 3,
         [0, 1, 2, 100, 166, 167, 250, 499, 500, 501, 750, 833, 834, 999, 1000, 1001, 5000, 59999]),
    case("step1 batch 128", "hyp.scratch.p5.yaml", 300, 200, 128, False, 3, [0, 1, 333, 500, 999, 1000, 1001]),
    case("step1 batch 24 (nbs/tb = 2.67)", "hyp.scratch.p6.yaml", 10, 100, 24, True, 3,
         [0, 250, 300, 374, 375, 376, 600, 750, 1000, 1001]),
    case("step2 batch 1", "hyp.finetune.dynamic.adam.yaml", 2, 118287, 1, True, 2,
         [0, 1, 9, 10, 100, 590, 591, 592, 1182, 1183, 1184, 118287, 236573]),
    case("small data, min warmup 30", "hyp.scratch.p5.yaml", 5, 20, 8, False, 3, [0, 5, 10, 15, 30, 45, 60, 61, 99],
         min_warmup=30),
    case("nominal batch 32", "hyp.scratch.p5.yaml", 3, 10, 8, False, 3, [0, 4, 5, 6, 10], min_warmup=10, nbs=32),
]
json.dump({"numpy": np.__version__, "cases": cases}, sys.stdout, indent=1)
