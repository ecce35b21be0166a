#!/usr/bin/python3
"""Write the PyTorch reference fixtures in tests/fixtures/torch/.

Run with Debian's python3 (torch and numpy installed):

    /usr/bin/python3 scripts/make-torch-fixtures.py [OUTDIR]

Each case directory holds, all little-endian .npy:

  weight_ih_l{l}.npy, weight_hh_l{l}.npy, bias_ih_l{l}.npy, bias_hh_l{l}.npy
                      float32, PyTorch parameter names and shapes
  x.npy               float32 [T, B, I]
  h0.npy, c0.npy      float32 [L, B, H], only for cases that start from a
                      nonzero state (absent means zeros; c0 only for lstm)
  y.npy               float32 [T, B, H]  output of the last layer
  h_n.npy, c_n.npy    float32 [L, B, H]  final states (c_n only for lstm)
  y_ref.npy           float64 [T, B, H]  the same output unrounded, so the C
                      reference can be checked far below fp32 rounding; the
                      name matches what `rnnbench dump` writes
  h_n_ref.npy, c_n_ref.npy  float64 likewise
  y_target.npy        float32 [T, B, H]  a training target, U(-0.5, 0.5)
  grad_ref/<parameter>.npy, dx_ref.npy   float64: PyTorch autograd's
                      gradients of loss = 0.5 * mean((y - y_target)^2), the
                      loss `rnnbench run --mode train` and `dump --mode train`
                      use, w.r.t. every parameter and x
  meta.json           {"cell", "input", "hidden", "layers", "seq", "batch",
                      "input_proj"}, as `rnnbench dump` writes it, so that
                      scripts/check-dump-vs-pytorch.py runs on these too

The outputs come from nn.LSTM / nn.GRU / nn.RNN(nonlinearity='tanh') run in float64
(model.double()) on the float32 weights and inputs, so they are an
independent reference for workloads/reference.c, not a copy of its math.

Cases (README):
  lstm_t1_b1        lstm T=1 B=1 I=3 H=2 L=1         a single step
  lstm_t5_b3_i4_h6  lstm T=5 B=3 I=4 H=6 L=1         batch and I != H
  lstm_t4_b2_i7_h5_l3  lstm T=4 B=2 I=7 H=5 L=3, h0/c0  stacked, initial state
  rnn_t6_b2_i3_h4_l2   rnn  T=6 B=2 I=3 H=4 L=2, h0     tanh RNN, stacked
  gru_t5_b3_i4_h6      gru  T=5 B=3 I=4 H=6 L=1         nn.GRU (gates r, z, n)
  gru_t4_b2_i7_h5_l3   gru  T=4 B=2 I=7 H=5 L=3, h0     GRU stacked, initial state
"""
import json
import os
import sys

import numpy as np
import torch

CASES = [
    # name, cell, T, B, I, H, L, nonzero initial state
    ("lstm_t1_b1", "lstm", 1, 1, 3, 2, 1, False),
    ("lstm_t5_b3_i4_h6", "lstm", 5, 3, 4, 6, 1, False),
    ("lstm_t4_b2_i7_h5_l3", "lstm", 4, 2, 7, 5, 3, True),
    ("rnn_t6_b2_i3_h4_l2", "rnn", 6, 2, 3, 4, 2, True),
    ("gru_t5_b3_i4_h6", "gru", 5, 3, 4, 6, 1, False),
    ("gru_t4_b2_i7_h5_l3", "gru", 4, 2, 7, 5, 3, True),
]


def save(path, array, dtype):
    np.save(path, np.ascontiguousarray(array, dtype=dtype))


def make_case(outdir, name, cell, T, B, I, H, L, with_state, seed):
    torch.manual_seed(seed)
    if cell == "lstm":
        net = torch.nn.LSTM(I, H, num_layers=L)
    elif cell == "gru":
        net = torch.nn.GRU(I, H, num_layers=L)
    else:
        net = torch.nn.RNN(I, H, num_layers=L, nonlinearity="tanh")
    # Larger than the default init so the gates leave their linear region and
    # a wrong nonlinearity or gate order cannot hide.
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(2.5)
    x = torch.rand(T, B, I) * 2 - 1
    h0 = (torch.rand(L, B, H) * 2 - 1) if with_state else torch.zeros(L, B, H)
    c0 = (torch.rand(L, B, H) * 2 - 1) if with_state else torch.zeros(L, B, H)

    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    for pname, p in net.named_parameters():
        save(os.path.join(d, pname + ".npy"), p.detach().numpy(), "<f4")
    save(os.path.join(d, "x.npy"), x.numpy(), "<f4")
    if with_state:
        save(os.path.join(d, "h0.npy"), h0.numpy(), "<f4")
        if cell == "lstm":
            save(os.path.join(d, "c0.npy"), c0.numpy(), "<f4")

    # drawn after everything above, so adding it left the older files unchanged
    y_target = torch.rand(T, B, H) - 0.5
    save(os.path.join(d, "y_target.npy"), y_target.numpy(), "<f4")

    # float64 evaluation of exactly the float32 values written above
    net64 = net.double()
    x64 = x.double().requires_grad_(True)
    if cell == "lstm":
        y, (h_n, c_n) = net64(x64, (h0.double(), c0.double()))
    else:
        y, h_n = net64(x64, h0.double())
        c_n = None
    (0.5 * ((y - y_target.double()) ** 2).mean()).backward()
    outs = [("y", y), ("h_n", h_n)] + ([("c_n", c_n)] if c_n is not None else [])
    for stem, t in outs:
        save(os.path.join(d, stem + ".npy"), t.detach().numpy(), "<f4")
        save(os.path.join(d, stem + "_ref.npy"), t.detach().numpy(), "<f8")
    os.makedirs(os.path.join(d, "grad_ref"), exist_ok=True)
    for pname, p in net64.named_parameters():
        save(os.path.join(d, "grad_ref", pname + ".npy"), p.grad.numpy(), "<f8")
    save(os.path.join(d, "dx_ref.npy"), x64.grad.numpy(), "<f8")

    meta = {"cell": cell, "input": I, "hidden": H, "layers": L, "seq": T, "batch": B,
            "input_proj": 1}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "fixtures", "torch")
    torch.set_num_threads(1)
    for i, case in enumerate(CASES):
        make_case(outdir, *case, seed=1000 + i)
    print("wrote %d cases to %s (torch %s, numpy %s)" % (len(CASES), os.path.normpath(outdir),
                                                       torch.__version__, np.__version__))


if __name__ == "__main__":
    main()
