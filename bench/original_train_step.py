#!/usr/bin/python3
"""Reference CPU speed of one training step of the ORIGINAL DynamicDet (VDIGPKU/DynamicDet), to compare with
`dydet benchmark --train [--step router]`.
Step 1 (--step detector): the step-1 model (cfg/dy-yolov7-step1.yaml, random init, seed 0), model.train(), forward of
both routes, ComputeLossOTADual with hyp.scratch.p5 scaled as train_step1.py does, backward, SGD Nesterov step,
ModelEMA update (decay 0.9999, as train_step1.py).
Step 2 (--step router): the step-2 model (cfg/dy-yolov7-step2.yaml), everything but the router frozen and
model.train() as train_step2.py, ComputeLossOTADy with hyp.finetune.dynamic.adam scaled, backward, AdamW on the
router's parameters, ModelEMA update with decay 0 (as train_step2.py).
--no-ema leaves the EMA update out. Input: torch.rand(batch, 3, img, img); 8 random boxes per image (seeded), as
dydet's benchmark.
The original creates empty index tensors on cuda:0 when a level has no positive (spec 5.6 f); with 8 boxes of
5-45% of the image every level gets positives, so it runs on CPU.
Prints one JSON line on stdout; everything else goes to stderr.
"""
import argparse, json, os, random, statistics, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get('DYNAMICDET_REPO', os.path.join(HERE, 'DynamicDet'))

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', default=REPO)
    p.add_argument('--width', type=float, default=1.0)
    p.add_argument('--img', type=int, default=320)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--runs', type=int, default=3)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--step', choices=['detector', 'router'], default='detector')
    p.add_argument('--no-ema', action='store_true')
    p.add_argument('--profile', metavar='FILE', help='write torch.autograd.profiler\'s operator table of one more step here')
    o = p.parse_args()
    import torch, yaml
    torch.set_num_interop_threads(1)
    torch.set_num_threads(o.threads)
    os.chdir(o.repo)
    sys.path.insert(0, o.repo)
    real = sys.stdout
    sys.stdout = sys.stderr
    from models.yolo import Model
    from utils.loss import ComputeLossOTADual, ComputeLossOTADy
    from utils.torch_utils import ModelEMA
    router = o.step == 'router'
    cfg = yaml.safe_load(open('cfg/dy-yolov7-step2.yaml' if router else 'cfg/dy-yolov7-step1.yaml'))
    if o.width != 1.0:
        cfg['width_multiple'] = o.width
        # the original's cfg does not scale CBLinear widths; scale them as dydet's --width does
        scale = lambda c: max(8, int(round(c * o.width / 8)) * 8)
        for row in cfg['dual_backbone']:
            if row[2] == 'CBLinear':
                row[3][0] = [scale(c) for c in row[3][0]]
        if 'router_channels' in cfg:
            cfg['router_channels'] = [scale(c) for c in cfg['router_channels']]
    import tempfile
    tmp = tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False)
    yaml.safe_dump(cfg, tmp)
    tmp.close()
    torch.manual_seed(0)
    model = Model(tmp.name, ch=3, nc=80)
    hyp = yaml.safe_load(open('hyp/hyp.finetune.dynamic.adam.yaml' if router else 'hyp/hyp.scratch.p5.yaml'))
    nl = 3
    hyp['box'] *= 3. / nl
    hyp['cls'] *= 80 / 80. * 3. / nl
    hyp['obj'] *= (o.img / 640) ** 2 * 3. / nl
    hyp['label_smoothing'] = 0.0
    model.hyp, model.gr, model.nc = hyp, 1.0, 80
    loss_fn = ComputeLossOTADy(model) if router else ComputeLossOTADual(model)
    if router:
        for k, v in model.named_parameters():
            v.requires_grad = 'router' in k
    g0, g1, g2 = [], [], []
    for k, v in model.named_modules():
        if router and 'router' not in k: continue
        if hasattr(v, 'bias') and isinstance(v.bias, torch.nn.Parameter): g2.append(v.bias)
        if isinstance(v, torch.nn.BatchNorm2d): g0.append(v.weight)
        elif hasattr(v, 'weight') and isinstance(v.weight, torch.nn.Parameter): g1.append(v.weight)
    if router:
        opt = torch.optim.AdamW(g1, lr=hyp['lr0'], weight_decay=hyp['weight_decay'], betas=(hyp['momentum'], 0.999))
        if g0: opt.add_param_group({'params': g0, 'weight_decay': 0})
        if g2: opt.add_param_group({'params': g2})
    else:
        opt = torch.optim.SGD(g0, lr=0.001, momentum=0.937, nesterov=True)
        opt.add_param_group({'params': g1, 'weight_decay': 0.0005})
        opt.add_param_group({'params': g2})
    ema = None if o.no_ema else ModelEMA(model, decay=0. if router else 0.9999)
    rng = random.Random(0)
    rows = []
    for i in range(o.batch * 8):
        w, h = 0.05 + 0.4 * rng.random(), 0.05 + 0.4 * rng.random()
        rows.append([i // 8, rng.randrange(80), w / 2 + (1 - w) * rng.random(), h / 2 + (1 - h) * rng.random(), w, h])
    targets = torch.tensor(rows)
    x = torch.rand(o.batch, 3, o.img, o.img)
    model.train()
    times, phases = [], {'forward': [], 'loss': [], 'backward': [], 'optimizer': []}

    def step():
        t0 = time.perf_counter()
        pred = model(x)
        if not router: pred = pred[0] if isinstance(pred, tuple) else pred
        t1 = time.perf_counter()
        loss, _ = loss_fn(pred, targets, x)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        opt.zero_grad()
        if ema: ema.update(model)
        t4 = time.perf_counter()
        return t0, t1, t2, t3, t4

    for i in range(o.warmup + o.runs):
        t0, t1, t2, t3, t4 = step()
        if i >= o.warmup:
            times.append(t4 - t0)
            for k, a, b in (('forward', t0, t1), ('loss', t1, t2), ('backward', t2, t3), ('optimizer', t3, t4)):
                phases[k].append(b - a)
        print('step %d: %.3f s' % (i, t4 - t0), file=sys.stderr)
    if o.profile:
        with torch.autograd.profiler.profile() as prof:
            step()
        with open(o.profile, 'w') as f:
            f.write(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=40))
    med = statistics.median(times)
    sys.stdout = real
    import resource
    print(json.dumps({'step': o.step, 'ema': not o.no_ema, 'peak_rss_bytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      'img': o.img, 'batch': o.batch, 'width': o.width, 'threads': o.threads, 'median_s': med,
                      'min_s': min(times), 'max_s': max(times), 'images_per_s': o.batch / med,
                      'phases_median_s': {k: statistics.median(v) for k, v in phases.items()},
                      'torch': torch.__version__}))

if __name__ == '__main__':
    main()
