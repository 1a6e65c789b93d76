"""Reference trajectories for io.dydet.train optimisers (OptimizersTest).

Run once with torch (1.13.1 was used: Debian's python3-torch) and commit the output; the Java tests read the JSON
and need no Python:
    /usr/bin/python3 src/test/python/optim_reference.py > src/test/resources/train/optim_reference.json

Three float32 parameters in three groups ([no-decay weights, decay weights, biases] as in YOLOv7), weight decay on
group 1 only, per-group learning rates that change every step, SGD momentum that changes mid-way, 6 steps.
The loss is sum(0.5*c*p^2 + d*p), so the gradient c*p + d depends on the trajectory.
"""
import json
import sys

import torch

torch.manual_seed(7)
SHAPES = {"p0": (2, 3), "p1": (4,), "p2": (3,)}
GROUPS = [["p0"], ["p1"], ["p2"]]
WEIGHT_DECAY = [0.0, 0.05, 0.0]
STEPS = 6
LR = [[0.0, 0.02, 0.1], [0.01, 0.03, 0.08], [0.02, 0.04, 0.06], [0.05, 0.05, 0.05], [0.04, 0.04, 0.04],
      [0.03, 0.03, 0.03]]
MOMENTUM = [0.8, 0.85, 0.9, 0.937, 0.937, 0.5]
BETAS = (0.937, 0.999)
EPS = 1e-8
ADAM_LR_SCALE = 0.5

init = {k: torch.randn(s, dtype=torch.float32) for k, s in SHAPES.items()}
c = {k: torch.rand(s, dtype=torch.float32) + 0.5 for k, s in SHAPES.items()}
d = {k: torch.rand(s, dtype=torch.float32) * 2 - 1 for k, s in SHAPES.items()}


def run(kind):
    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    groups = [{"params": [params[n] for n in g], "weight_decay": WEIGHT_DECAY[i]} for i, g in enumerate(GROUPS)]
    if kind == "sgd_nesterov":
        opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True, foreach=False)
    elif kind == "adam":
        opt = torch.optim.Adam(groups, lr=0.1, betas=BETAS, eps=EPS, foreach=False)
    else:
        opt = torch.optim.AdamW(groups, lr=0.1, betas=BETAS, eps=EPS, foreach=False)
    out = []
    for step in range(STEPS):
        for j, g in enumerate(opt.param_groups):
            g["lr"] = LR[step][j] * (1.0 if kind == "sgd_nesterov" else ADAM_LR_SCALE)
            if "momentum" in g:
                g["momentum"] = MOMENTUM[step]
        opt.zero_grad()
        loss = sum((0.5 * c[k] * p * p + d[k] * p).sum() for k, p in params.items())
        loss.backward()
        opt.step()
        out.append({k: p.detach().reshape(-1).tolist() for k, p in params.items()})
    return out


def flat(t):
    return {k: v.reshape(-1).tolist() for k, v in t.items()}


json.dump({
    "torch": torch.__version__,
    "shapes": SHAPES, "groups": GROUPS, "weight_decay": WEIGHT_DECAY, "lr": LR, "momentum": MOMENTUM,
    "betas": BETAS, "eps": EPS, "adam_lr_scale": ADAM_LR_SCALE,
    "init": flat(init), "c": flat(c), "d": flat(d),
    "trajectories": {k: run(k) for k in ["sgd_nesterov", "adam", "adamw"]},
}, sys.stdout, indent=1)
