#!/usr/bin/python3
"""Check a directory written by `rnnbench dump` against PyTorch.

    /usr/bin/python3 scripts/check-dump-vs-pytorch.py DIR [--tol 1e-4] [--ref-tol 1e-5]

DIR holds the weights by PyTorch parameter name (weight_ih_l0.npy, ...),
x.npy [T,B,*], optionally h0.npy / c0.npy [L,B,H] (zeros when absent),
y_ref.npy (float64, rnnbench's reference), optionally h_n_ref.npy /
c_n_ref.npy, any number of target outputs y_<target>.npy (float32, e.g.
y_cpu.npy), and meta.json with cell, input, hidden, layers, seq, batch
(and input_proj, 1 when absent).

The weights are loaded into nn.LSTM / nn.GRU / nn.RNN(nonlinearity='tanh'), run in
float64, and the maximum absolute difference of PyTorch's output is printed
against y_ref (must be <= --ref-tol: rnnbench's reference and PyTorch
compute the same fp64 math) and against every y_<target> (must be <= --tol,
the target's own rounding).  Without input projection (input_proj 0, x is
[T,B,G*H]) the first layer gets an identity W_ih, which reproduces "x is
added to the gate pre-activations" exactly.

A dump made with --mode train (meta.json "mode": "train") also holds the
MSE target y_target.npy, rnnbench's fp64 reference gradients
grad_ref/<parameter>.npy and dx_ref.npy, and each target's first-step
gradients grad_<target>/<parameter>.npy and dx_<target>.npy.  PyTorch's
autograd computes the gradients of loss = 0.5 * mean((y - y_target)^2) in
float64; each tensor's error is max |got - torch| / max |torch| (a gradient
has no natural scale), held to --grad-ref-tol for the reference and
--grad-tol for the targets.

Exit status: 0 all within tolerance, 1 a difference above it, 2 bad input.
The test fixtures in tests/fixtures/torch/ have the same layout.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch


def die(msg):
    print("check-dump-vs-pytorch: " + msg, file=sys.stderr)
    sys.exit(2)


def load(d, name, required=True):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        if required:
            die("%s: missing" % path)
        return None
    return np.load(path, allow_pickle=False)


def build(d, meta):
    cell = meta["cell"]
    I, H, L = int(meta["input"]), int(meta["hidden"]), int(meta["layers"])
    proj = int(meta.get("input_proj", 1))
    G = {"lstm": 4, "gru": 3, "rnn": 1}.get(cell)
    if G is None:
        die("meta.json: unsupported cell %r" % cell)
    width = I if proj else G * H
    if cell == "lstm":
        net = torch.nn.LSTM(width, H, num_layers=L)
    elif cell == "gru":
        net = torch.nn.GRU(width, H, num_layers=L)
    else:
        net = torch.nn.RNN(width, H, num_layers=L, nonlinearity="tanh")
    net = net.double()
    state = {}
    for pname, p in net.named_parameters():
        if pname == "weight_ih_l0" and not proj:
            state[pname] = torch.eye(G * H, dtype=torch.float64)
            continue
        a = load(d, pname + ".npy")
        if tuple(a.shape) != tuple(p.shape):
            die("%s.npy: shape %s, expected %s" % (pname, a.shape, tuple(p.shape)))
        state[pname] = torch.from_numpy(a.astype(np.float64))
    net.load_state_dict(state)
    return net, width


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("dir")
    ap.add_argument("--tol", type=float, default=1e-4,
                    help="max abs difference allowed for y_<target>.npy (default 1e-4)")
    ap.add_argument("--ref-tol", type=float, default=1e-5,
                    help="max abs difference allowed for y_ref.npy (default 1e-5)")
    ap.add_argument("--grad-tol", type=float, default=1e-4,
                    help="scaled gradient error allowed for grad_<target> (default 1e-4)")
    ap.add_argument("--grad-ref-tol", type=float, default=1e-9,
                    help="scaled gradient error allowed for grad_ref (default 1e-9)")
    args = ap.parse_args()
    d = args.dir
    try:
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError) as ex:
        die("%s/meta.json: %s" % (d, ex))
    for k in ("cell", "input", "hidden", "layers", "seq", "batch"):
        if k not in meta:
            die("meta.json: missing %r" % k)
    T, B, H, L = (int(meta[k]) for k in ("seq", "batch", "hidden", "layers"))

    net, width = build(d, meta)
    x = load(d, "x.npy")
    if x.shape != (T, B, width):
        die("x.npy: shape %s, expected %s" % (x.shape, (T, B, width)))
    h0 = load(d, "h0.npy", required=False)
    c0 = load(d, "c0.npy", required=False)
    h0 = torch.zeros(L, B, H, dtype=torch.float64) if h0 is None else torch.from_numpy(h0.astype(np.float64))
    c0 = torch.zeros(L, B, H, dtype=torch.float64) if c0 is None else torch.from_numpy(c0.astype(np.float64))
    train = meta.get("mode") == "train"
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_(train)
    if meta["cell"] == "lstm":
        yt, (h_n, c_n) = net(xt, (h0, c0))
    else:
        yt, h_n = net(xt, h0)
        c_n = None
    if train:
        target = torch.from_numpy(load(d, "y_target.npy").astype(np.float64))
        (0.5 * ((yt - target) ** 2).mean()).backward()
    y, h_n = yt.detach().numpy(), h_n.detach().numpy()
    c_n = c_n.detach().numpy() if c_n is not None else None

    failed = False

    def report(label, got, want, tol):
        nonlocal failed
        if got.shape != want.shape:
            print("%-14s shape %s, expected %s  FAIL" % (label, got.shape, want.shape))
            failed = True
            return
        diff = np.abs(got.astype(np.float64) - want)
        err = float(np.nanmax(diff)) if diff.size else 0.0
        if not np.all(np.isfinite(got)):
            err = float("inf")
        bad = not err <= tol
        failed |= bad
        print("%-14s max abs %.3g  (tol %.3g)  %s" % (label, err, tol, "FAIL" if bad else "ok"))

    y_ref = load(d, "y_ref.npy")
    report("y_ref", y_ref, y, args.ref_tol)
    for stem, t in (("h_n_ref", h_n), ("c_n_ref", c_n)):
        a = load(d, stem + ".npy", required=False)
        if a is not None and t is not None:
            report(stem, a, t, args.ref_tol)
    for path in sorted(glob.glob(os.path.join(d, "y_*.npy"))):
        name = os.path.basename(path)[:-4]
        if name in ("y_ref", "y_target"):
            continue
        report(name, np.load(path, allow_pickle=False), y, args.tol)
    def report_grad(label, got, want, tol):
        nonlocal failed
        if got.shape != want.shape:
            print("%-30s shape %s, expected %s  FAIL" % (label, got.shape, want.shape))
            failed = True
            return
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        err = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
        if not np.all(np.isfinite(got)):
            err = float("inf")
        rel = err / scale if scale > 0 else err
        bad = not rel <= tol
        failed |= bad
        print("%-30s scaled err %.3g  (tol %.3g)  %s" % (label, rel, tol, "FAIL" if bad else "ok"))

    if train:
        grads = {n: p.grad.numpy() for n, p in net.named_parameters()}
        proj = int(meta.get("input_proj", 1))
        for sub in sorted(glob.glob(os.path.join(d, "grad_*"))):
            who = os.path.basename(sub)[len("grad_"):]
            tol = args.grad_ref_tol if who == "ref" else args.grad_tol
            for n, g in grads.items():
                if n == "weight_ih_l0" and not proj:
                    continue  # the identity stand-in, not a parameter of rnnbench's model
                a = load(sub, n + ".npy")
                report_grad("grad_%s/%s" % (who, n), a, g, tol)
            dx = load(d, "dx_%s.npy" % who, required=False)
            if dx is not None:
                report_grad("dx_%s" % who, dx, xt.grad.numpy(), tol)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
