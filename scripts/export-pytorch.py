#!/usr/bin/python3
"""Export a PyTorch recurrent model in both forms rnnbench imports.

Run with Debian's python3 (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 scripts/export-pytorch.py -o DIR [options]    one model
    /usr/bin/python3 scripts/export-pytorch.py --module mine.py:make -o DIR
    /usr/bin/python3 scripts/export-pytorch.py --fixtures [OUTDIR]   the test set

--module FILE.py:FUNC exports your own model: FUNC() returns (module, example
input), the module's forward taking that one input (token ids or floats,
seq-major or batch-first as the module is written) and returning one tensor
(or a tuple whose first is the output); its trained weights go out as they
are, its state_dict under your names, and inputs/ holds x.npy and the
module's float64 output y.npy, which `rnnbench eval --model DIR/model.onnx
--inputs DIR/inputs` checks its reference against.

A model is nn.LSTM, nn.GRU or nn.RNN(nonlinearity='tanh'), optionally behind an
nn.Embedding and in front of a classifier head (nn.Linear on the last step,
then log_softmax), the shape of a text classifier.  DIR receives:

  model.onnx         torch.onnx.export of the whole module (opset 14), with the
                     sequence and batch dimensions dynamic
  state_dict/        module.state_dict(), one .npy per tensor under its own name
                     ("rnn.weight_ih_l0.npy", "emb.weight.npy", "fc.bias.npy")
  inputs/x.npy       an input: token ids int64 with an embedding, else float32;
                     [T, B] / [T, B, I], or batch first [B, T] / [B, T, I]
  y.npy              float64: the module's output on it (run in float64 on the
                     float32 weights: an independent reference)
  y_stack.npy        float64 [T, B, D*H]: the recurrent module's own output
                     (seq-major), what `--weights state_dict` runs
  inputs/lens.npy    with --lengths: int64 [B], each row's length (the first T,
                     the others random); y_stack is then the packed sequence's
                     output (nn.utils.rnn.pack_padded_sequence), zero past each
                     length, and model.onnx is left out (PyTorch does not
                     export packing)
  meta.json          the options

The fixtures (tests/fixtures/onnx/) are small models of every form the tests
need; tests/targets/test_onnx_torch.c checks rnnbench's import against them
without needing PyTorch.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch


class Model(torch.nn.Module):
    def __init__(self, cell, input_size, hidden, layers, bidirectional, batch_first, vocab,
                 classes):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, input_size) if vocab else None
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = kind(input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                        batch_first=batch_first)
        d = 2 if bidirectional else 1
        self.fc = torch.nn.Linear(d * hidden, classes) if classes else None
        self.batch_first = batch_first

    def forward(self, x):
        if self.emb is not None:
            x = self.emb(x)
        y, _ = self.rnn(x)
        if self.fc is None:
            return y
        last = y[:, -1] if self.batch_first else y[-1]
        return torch.log_softmax(self.fc(last), -1)


def save(path, array, dtype):
    np.save(path, np.ascontiguousarray(array, dtype=dtype))


def export(outdir, cell="lstm", input_size=8, hidden=6, layers=1, bidirectional=False,
           batch_first=False, vocab=0, classes=0, seq=5, batch=2, seed=1, lengths=False):
    torch.manual_seed(seed)
    model = Model(cell, input_size, hidden, layers, bidirectional, batch_first, vocab,
                  classes).eval()
    shape = (batch, seq) if batch_first else (seq, batch)
    if vocab:
        x = torch.randint(0, vocab, shape, dtype=torch.int64)
    else:
        x = torch.rand(shape + (input_size,)) * 2 - 1
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(os.path.join(outdir, "state_dict"))
    os.makedirs(os.path.join(outdir, "inputs"))
    if lengths and (vocab or classes or batch_first):
        sys.exit("export-pytorch.py: --lengths is for a bare stack on seq-major float input")
    dyn = {"x": {0: "batch", 1: "seq"} if batch_first else {0: "seq", 1: "batch"}}
    if not lengths:
        torch.onnx.export(model, (x,), os.path.join(outdir, "model.onnx"), opset_version=14,
                          input_names=["x"], output_names=["y"], dynamic_axes=dyn)
    lens = None
    if lengths:
        lens = torch.tensor([seq] + [int(v) for v in torch.randint(1, seq + 1, (batch - 1,))])
        save(os.path.join(outdir, "inputs", "lens.npy"), lens.numpy(), np.int64)
    for name, t in model.state_dict().items():
        save(os.path.join(outdir, "state_dict", name + ".npy"), t.numpy(), np.float32)
    save(os.path.join(outdir, "inputs", "x.npy"), x.numpy(), np.int64 if vocab else np.float32)
    with torch.no_grad():
        d = model.double()
        xd = x if vocab else x.double()
        if lens is None:
            save(os.path.join(outdir, "y.npy"), d(xd).numpy(), np.float64)
        e = d.emb(xd) if vocab else xd
        if lens is not None:
            packed = torch.nn.utils.rnn.pack_padded_sequence(e, lens, enforce_sorted=False)
            ys, _ = torch.nn.utils.rnn.pad_packed_sequence(d.rnn(packed)[0], total_length=seq)
        else:
            ys, _ = d.rnn(e)
        if batch_first:
            ys = ys.transpose(0, 1)
        save(os.path.join(outdir, "y_stack.npy"), ys.numpy(), np.float64)
    meta = dict(cell=cell, input=input_size, hidden=hidden, layers=layers,
                bidirectional=bidirectional, batch_first=batch_first, vocab=vocab,
                classes=classes, seq=seq, batch=batch, seed=seed, lengths=lengths,
                torch=torch.__version__)
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


def export_module(outdir, module, x):
    """model.onnx, state_dict/, inputs/x.npy and inputs/y.npy (the module's
    float64 output, which `rnnbench eval --inputs` compares its reference
    with) of a user's module."""
    module = module.eval()
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(os.path.join(outdir, "state_dict"))
    os.makedirs(os.path.join(outdir, "inputs"))
    dyn = {"x": {d: f"dim{d}" for d in range(min(2, x.dim()))}}
    torch.onnx.export(module, (x,), os.path.join(outdir, "model.onnx"), opset_version=14,
                      input_names=["x"], output_names=["y"], dynamic_axes=dyn)
    for name, t in module.state_dict().items():
        save(os.path.join(outdir, "state_dict", name + ".npy"), t.numpy(), np.float32)
    ints = not torch.is_floating_point(x)
    save(os.path.join(outdir, "inputs", "x.npy"), x.numpy(), np.int64 if ints else np.float32)
    with torch.no_grad():
        y = module.double()(x if ints else x.double())
    if isinstance(y, tuple):
        y = y[0]
    save(os.path.join(outdir, "inputs", "y.npy"), y.numpy(), np.float64)


def load_factory(spec):
    import importlib.util
    path, _, func = spec.rpartition(":")
    if not path or not func:
        sys.exit("export-pytorch.py: --module takes FILE.py:FUNC")
    sp = importlib.util.spec_from_file_location("user_module", path)
    mod = importlib.util.module_from_spec(sp)
    sp.loader.exec_module(mod)
    return getattr(mod, func)


# name: options (tests/targets/test_onnx_torch.c lists the same names)
FIXTURES = {
    "lstm_l1_emb_head": dict(cell="lstm", vocab=40, classes=3, seq=6, batch=3),
    "lstm_l2_bi_bf_emb_head": dict(cell="lstm", layers=2, bidirectional=True, batch_first=True,
                                   vocab=30, classes=4, seq=5, batch=2, hidden=7),
    "lstm_l3_head": dict(cell="lstm", layers=3, classes=2, seq=4, batch=2, input_size=5),
    "lstm_l2_bi": dict(cell="lstm", layers=2, bidirectional=True, seq=5, batch=3),
    "rnn_l2_bi_bf_head": dict(cell="rnn", layers=2, bidirectional=True, batch_first=True,
                              classes=3, seq=6, batch=2, hidden=9),
    "rnn_l1_emb_head": dict(cell="rnn", vocab=20, classes=5, seq=7, batch=1),
    "lstm_l2_bi_lens": dict(cell="lstm", layers=2, bidirectional=True, seq=7, batch=4,
                            lengths=True),
    "rnn_l1_lens": dict(cell="rnn", seq=6, batch=3, lengths=True, seed=4),
    "gru_l2_bi_bf_emb_head": dict(cell="gru", layers=2, bidirectional=True, batch_first=True,
                                  vocab=25, classes=3, seq=6, batch=2, hidden=7, seed=5),
    "gru_l1_lens": dict(cell="gru", seq=6, batch=3, lengths=True, seed=6),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", help="directory to write")
    p.add_argument("--fixtures", nargs="?", const="tests/fixtures/onnx",
                   help="write the test fixtures into this directory")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--input", type=int, default=8, help="input (embedding) size")
    p.add_argument("--hidden", type=int, default=6)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--batch-first", action="store_true")
    p.add_argument("--vocab", type=int, default=0, help="an embedding of this many tokens")
    p.add_argument("--classes", type=int, default=0, help="a linear head of this many classes")
    p.add_argument("--seq", type=int, default=5, help="length of the example input")
    p.add_argument("--batch", type=int, default=2, help="batch of the example input")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--module", metavar="FILE.py:FUNC",
                   help="export your own module: FUNC() returns (module, example input)")
    p.add_argument("--lengths", action="store_true",
                   help="rows of random lengths, run packed (a bare seq-major stack)")
    a = p.parse_args()
    if a.fixtures:
        for name, opts in FIXTURES.items():
            export(os.path.join(a.fixtures, name), **opts)
        return 0
    if not a.output:
        p.error("give -o DIR (or --fixtures)")
    if a.module:
        module, x = load_factory(a.module)()
        export_module(a.output, module, x)
        return 0
    export(a.output, a.cell, a.input, a.hidden, a.layers, a.bidirectional, a.batch_first,
           a.vocab, a.classes, a.seq, a.batch, a.seed, a.lengths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
