#!/usr/bin/python3
"""Reference CPU latency of the ORIGINAL PyTorch DynamicDet (VDIGPKU/DynamicDet) per route.

Builds models.yolo.Model from a step-2 cfg with random init (torch.manual_seed(0); no checkpoint needed,
latency does not depend on weights), prepares it the way detect.py does (requires_grad False,
float().fuse().eval(), inplace activations), then times model(x) under torch.no_grad():
  route 1 (easy): dy_thres = 0.0 -> router score >= thres -> backbone1 + head1 (model_b, model_h)
  route 2 (hard): dy_thres = 1.0 -> router score <  thres -> backbone1 + backbone2 + head2 (model_b, model_b2, model_h2)
Forward hooks on the first layer of model_b / model_b2 / model_h / model_h2 verify which parts ran.
Timed region: model(x) only (no pre-processing, no NMS); x = torch.rand(batch,3,img,img) float32, created once.
Prints one JSON line on stdout; everything else goes to stderr.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get('DYNAMICDET_REPO', os.path.join(HERE, 'DynamicDet'))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', choices=['dy-yolov7', 'dy-yolov7x', 'dy-yolov7-w6'], default='dy-yolov7')
    p.add_argument('--cfg', default=None, help='model yaml (default: <repo>/cfg/<model>-step2.yaml)')
    p.add_argument('--repo', default=REPO, help='checkout of VDIGPKU/DynamicDet')
    p.add_argument('--img', type=int, default=640)
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--runs', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--input', choices=['rand', 'zeros'], default='rand')
    p.add_argument('--easy-thres', type=float, default=0.0, help='dy_thres for route 1 (score >= thres)')
    p.add_argument('--hard-thres', type=float, default=1.0, help='dy_thres for route 2 (score < thres)')
    p.add_argument('--routes', default='1,2')
    return p.parse_args()


def main():
    opt = parse_args()
    import torch
    # Thread settings first, before any parallel work (interop can only be set once, before use).
    try:
        torch.set_num_interop_threads(1)
        interop = 1
    except RuntimeError as e:
        print('warning: set_num_interop_threads failed: %s' % e, file=sys.stderr)
        interop = torch.get_num_interop_threads()
    torch.set_num_threads(opt.threads)

    os.chdir(opt.repo)
    sys.path.insert(0, opt.repo)
    cfg = opt.cfg or os.path.join('cfg', '%s-step2.yaml' % opt.model)

    # models.yolo prints its layer table / info via print(); keep stdout for the JSON line only.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        from models.yolo import Model
        import torch.nn as nn
        torch.manual_seed(0)
        model = Model(cfg, ch=3, nc=80)
        for p in model.parameters():
            p.requires_grad = False
        model.float().fuse().eval()  # as detect.py
        for m in model.modules():  # detect.py "compatibility updates"
            if type(m) in [nn.Hardswish, nn.LeakyReLU, nn.ReLU, nn.ReLU6, nn.SiLU]:
                m.inplace = True
            elif type(m) is nn.Upsample:
                m.recompute_scale_factor = None
    finally:
        sys.stdout = real_stdout
    assert getattr(model, 'dynamic', False) and hasattr(model, 'dy_thres'), 'cfg is not a dynamic (step2) model'

    calls = {'model_b': 0, 'model_b2': 0, 'model_h': 0, 'model_h2': 0}
    scores = []

    def counter(name):
        def hook(mod, inp, out):
            calls[name] += 1
        return hook

    for name in calls:
        getattr(model, name)[0].register_forward_hook(counter(name))
    model.router.register_forward_hook(lambda mod, inp, out: scores.append(float(out[0, 0])))

    if opt.input == 'rand':
        x = torch.rand(opt.batch, 3, opt.img, opt.img, dtype=torch.float32)
    else:
        x = torch.zeros(opt.batch, 3, opt.img, opt.img, dtype=torch.float32)

    expected = {1: {'model_b': 1, 'model_b2': 0, 'model_h': 1, 'model_h2': 0},
                2: {'model_b': 1, 'model_b2': 1, 'model_h': 0, 'model_h2': 1}}
    thres = {1: opt.easy_thres, 2: opt.hard_thres}
    result = {'impl': 'original-pytorch', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
              'interop_threads': interop, 'model': opt.model, 'cfg': cfg, 'img': opt.img, 'batch': opt.batch,
              'input': opt.input, 'warmup': opt.warmup, 'runs': opt.runs}
    with torch.no_grad():
        for route in [int(r) for r in opt.routes.split(',')]:
            model.dy_thres = thres[route]
            times = []
            for i in range(opt.warmup + opt.runs):
                for k in calls:
                    calls[k] = 0
                t0 = time.perf_counter()
                out = model(x)
                t1 = time.perf_counter()
                if calls != expected[route]:
                    raise SystemExit('route %d check failed: hook calls %s, router score %s, dy_thres %s'
                                     % (route, calls, scores[-1], model.dy_thres))
                if i >= opt.warmup:
                    times.append(t1 - t0)
            # out = list of 3 raw head outputs (fused IDetect returns (decoded, raw); forward_once extends outs)
            result['route%d' % route] = {
                'median_s': round(statistics.median(times), 4), 'min_s': round(min(times), 4),
                'max_s': round(max(times), 4), 'dy_thres': thres[route],
                'router_score': round(scores[-1], 6), 'parts_run': sorted(k for k, v in calls.items() if v),
                'out_shapes': [list(o.shape) for o in out if hasattr(o, 'shape')],
                'times_s': [round(t, 4) for t in times]}
            print('route %d: median %.4f s' % (route, statistics.median(times)), file=sys.stderr)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
