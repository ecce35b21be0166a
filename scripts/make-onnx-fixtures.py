#!/usr/bin/python3
"""Write the hand-built ONNX fixtures of tests/fixtures/onnx/ (python3-onnx).

    /usr/bin/python3 scripts/make-onnx-fixtures.py [OUTDIR]

lstm_peepholes_onnxref/   one LSTM node with random weights, peepholes and
                          initial states as initializers or inputs, and the
                          outputs ONNX's own reference implementation
                          (onnx.backend.test.case.node.lstm.LSTM_Helper,
                          float64) gives: ONNX's node test for peepholes has
                          every P equal, this one tells the three apart.
                          model.onnx, test_data_set_0/{input,output}_K.pb
constant_weights.onnx     an RNN whose weights are Constant nodes, not
                          initializers (some exporters write them so)
gru_lbr0.onnx             a GRU with ONNX's default linear_before_reset = 0
                          and its weights as initializers (the cpu and gpu run
                          it; the fpga and asic refuse it by that name)
bad/                      models rnnbench must refuse, each for one reason
                          (tests/cli/test_import.sh says which)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.backend.test.case.node.lstm import LSTM_Helper


def save_model(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)


def save_tensor(array, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def lstm_model(nodes, inits, inputs, outputs, opset=14):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             producer_name="make-onnx-fixtures")


def peepholes(out):
    rng = np.random.default_rng(7)
    T, B, I, H = 5, 3, 4, 6
    u = lambda *s: rng.uniform(-0.6, 0.6, s).astype(np.float32)
    X, W, R, Bb, P = u(T, B, I), u(1, 4 * H, I), u(1, 4 * H, H), u(1, 8 * H), u(1, 3 * H)
    h0, c0 = u(1, B, H), u(1, B, H)
    Y, Y_h = LSTM_Helper(X=X.astype(np.float64), W=W.astype(np.float64),
                         R=R.astype(np.float64), B=Bb.astype(np.float64),
                         P=P.astype(np.float64), initial_h=h0.astype(np.float64),
                         initial_c=c0.astype(np.float64)).step()
    node = helper.make_node("LSTM", ["X", "W", "R", "B", "", "initial_h", "initial_c", "P"],
                            ["Y", "Y_h"], hidden_size=H, name="lstm")
    inits = [numpy_helper.from_array(a, n) for a, n in ((W, "W"), (R, "R"), (Bb, "B"), (P, "P"))]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["seq", B, I]),
              helper.make_tensor_value_info("initial_h", TensorProto.FLOAT, [1, B, H]),
              helper.make_tensor_value_info("initial_c", TensorProto.FLOAT, [1, B, H])]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["seq", 1, B, H]),
               helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, B, H])]
    d = os.path.join(out, "lstm_peepholes_onnxref")
    save_model(lstm_model([node], inits, inputs, outputs), os.path.join(d, "model.onnx"))
    s = os.path.join(d, "test_data_set_0")
    os.makedirs(s, exist_ok=True)
    for k, (a, n) in enumerate(((X, "X"), (h0, "initial_h"), (c0, "initial_c"))):
        save_tensor(a, n, os.path.join(s, f"input_{k}.pb"))
    save_tensor(Y.astype(np.float32), "Y", os.path.join(s, "output_0.pb"))
    save_tensor(Y_h.astype(np.float32), "Y_h", os.path.join(s, "output_1.pb"))


def constant_weights(out):
    rng = np.random.default_rng(3)
    H, I = 5, 3
    nodes = [helper.make_node("Constant", [], [n], name=f"const_{n}",
                              value=numpy_helper.from_array(
                                  rng.uniform(-0.5, 0.5, shape).astype(np.float32), n))
             for n, shape in (("W", (1, H, I)), ("R", (1, H, H)), ("B", (1, 2 * H)))]
    nodes.append(helper.make_node("RNN", ["X", "W", "R", "B"], ["Y"], hidden_size=H, name="rnn"))
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["seq", "batch", I])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    save_model(lstm_model(nodes, [], [x], [y]), os.path.join(out, "constant_weights.onnx"))


def gru_lbr0(out):
    rng = np.random.default_rng(5)
    H, I = 6, 4
    inits = [numpy_helper.from_array(rng.uniform(-0.5, 0.5, shape).astype(np.float32), n)
             for n, shape in (("W", (1, 3 * H, I)), ("R", (1, 3 * H, H)), ("B", (1, 6 * H)))]
    node = helper.make_node("GRU", ["X", "W", "R", "B"], ["Y"], hidden_size=H, name="gru")
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["seq", "batch", I])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    save_model(lstm_model([node], inits, [x], [y]), os.path.join(out, "gru_lbr0.onnx"))


def bad(out):
    """One refusal each; the LSTM is otherwise fine (I = H = 2)."""
    d = os.path.join(out, "bad")
    w = numpy_helper.from_array(np.full((1, 8, 2), 0.1, np.float32), "W")
    r = numpy_helper.from_array(np.full((1, 8, 2), 0.1, np.float32), "R")
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["seq", 1, 2])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)

    def lstm(**attrs):
        return helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=2, name="lstm",
                                **attrs)

    # an operator rnnbench does not run, after the stack
    nodes = [lstm(), helper.make_node("HardSigmoid", ["Y"], ["Z"], name="squash")]
    z = helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)
    save_model(lstm_model(nodes, [w, r], [x], [z]), os.path.join(d, "unsupported_op.onnx"))
    # an activation other than the defaults
    save_model(lstm_model([lstm(activations=["Relu", "Tanh", "Tanh"])], [w, r], [x], [y]),
               os.path.join(d, "activation_relu.onnx"))
    # an opset before the LSTM rnnbench reads
    save_model(lstm_model([lstm()], [w, r], [x], [y], opset=6), os.path.join(d, "opset6.onnx"))
    # the final cell state as an output
    yc_node = helper.make_node("LSTM", ["X", "W", "R"], ["Y", "", "Y_c"], hidden_size=2,
                               name="lstm")
    yc = helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, None)
    save_model(lstm_model([yc_node], [w, r], [x], [yc]), os.path.join(d, "uses_y_c.onnx"))
    # weights in an external file that is not there
    we = numpy_helper.from_array(np.full((1, 8, 2), 0.1, np.float32), "W")
    we.ClearField("raw_data")
    we.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "64")):
        e = we.external_data.add()
        e.key, e.value = k, v
    save_model(lstm_model([lstm()], [we, r], [x], [y]), os.path.join(d, "external_missing.onnx"))
    # W whose data disagrees with its shape
    wb = numpy_helper.from_array(np.full((1, 8, 2), 0.1, np.float32), "W")
    wb.raw_data = wb.raw_data[:-4]
    save_model(lstm_model([lstm()], [wb, r], [x], [y]), os.path.join(d, "short_weights.onnx"))
    # no recurrent node at all
    add = helper.make_node("Add", ["X", "X"], ["Y"], name="add")
    save_model(lstm_model([add], [], [x], [y]), os.path.join(d, "no_recurrent.onnx"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/onnx"
    peepholes(out)
    constant_weights(out)
    gru_lbr0(out)
    bad(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
