"""benchlib — what the scripts in scripts/bench/ share.

Running a matrix through `rnnbench run` into a scratch database and reading
it back with `rnnbench query --format json`, the offline --rnnbench-json
input, the FLOP count, and the plain-text table.  Each script passes its own
name (`prog`) so that messages say which script is talking.
"""

import json
import math
import os
import subprocess
import sys


def die(prog, code, msg):
    print(f"{prog}: {msg}", file=sys.stderr)
    sys.exit(code)


def rnnbench_query(prog, exe, db, sql):
    p = subprocess.run([exe, "query", "--db", db, "--format", "json", sql],
                       capture_output=True, text=True)
    if p.returncode != 0:
        die(prog, 3, f"`{exe} query` failed (exit {p.returncode}): {p.stderr.strip()}")
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError as err:
        die(prog, 3, f"`{exe} query --format json` printed something that is not JSON: {err}")


def run_and_query(prog, cmd, db, result_sql):
    """Run `cmd`, an `rnnbench run ... --db DB`, and return the rows of
    result_sql.  Exit 2 when rnnbench refused its arguments, 3 when it wrote
    no database; a run that failed only in part is a warning, its rows kept."""
    print("running: " + " ".join(cmd), file=sys.stderr)
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if p.returncode == 2:
        die(prog, 2, f"rnnbench run refused its arguments (exit 2); see its message above")
    if not os.path.exists(db):
        die(prog, 3, f"rnnbench run wrote no database (exit {p.returncode})")
    rows = rnnbench_query(prog, cmd[0], db, result_sql)
    if p.returncode != 0:
        bad = [r for r in rows if r.get("status") != "ok"]
        print(f"{prog}: warning: rnnbench run exited {p.returncode}; "
              f"{len(bad)} of {len(rows)} results are not 'ok' (their times are still "
              f"shown, marked)", file=sys.stderr)
        for r in bad:
            who = r.get("instance") or r.get("target") or ""
            print(f"{prog}:   {r['workload']} {who}: {r.get('status')}"
                  f"{': ' + r['message'] if r.get('message') else ''}", file=sys.stderr)
    return rows


def load_json(prog, path):
    """Result rows given with --rnnbench-json instead of running rnnbench.

    FILE holds either the JSON array that `rnnbench query --format json`
    prints for v_results, or an object {"results": [...], "devices": [...],
    ...}.  Returns (rows, first device row or None, the object or {}) so a
    script can read keys of its own from the object."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        die(prog, 2, f"{path}: {err}")
    if isinstance(data, dict):
        rows, devices = data.get("results"), data.get("devices") or []
    else:
        rows, devices, data = data, [], {}
    if not isinstance(rows, list):
        die(prog, 2, f"{path}: expected a list of result rows or {{\"results\": [...]}}")
    need = ("workload", "seq", "batch", "input", "hidden", "layers", "cell", "median_ms", "gflops")
    for i, r in enumerate(rows):
        missing = [k for k in need if k not in r]
        if missing:
            die(prog, 2, f"{path}: row {i} lacks {', '.join(missing)}")
    return rows, (devices[0] if devices else None), data


def torch_rows(rows, mode="infer"):
    """The rows a PyTorch nn.LSTM/nn.GRU/nn.RNN can be compared with: input
    projection included, the given mode (infer or train), a median to compare."""
    return [r for r in rows if not str(r["workload"]).endswith("_noproj")
            and r.get("mode", "infer") == mode and r["cell"] in GATES
            and r["median_ms"] is not None]


def inference_rows(rows):
    return torch_rows(rows, "infer")


GATES = {"lstm": 4, "gru": 3, "rnn": 1}  # gate rows per unit (workloads/workload.h)


def torch_class(torch, cell):
    """PyTorch's module for a cell, and its keyword arguments."""
    if cell == "lstm":
        return torch.nn.LSTM, {}
    if cell == "gru":
        return torch.nn.GRU, {}
    return torch.nn.RNN, {"nonlinearity": "tanh"}


def flops(cell, seq, batch, inp, hidden, layers, mode="infer"):
    """DESIGN.md "FLOP counting": 2*G*H*(I_l + H)*B*T per layer, G = 4 for the
    LSTM, 3 for the GRU and 1 for the RNN, I_l = I for the first layer and H
    after it; a training step counts 3x the forward."""
    g = GATES[cell]
    f = 2.0 * g * hidden * (inp + hidden) * batch * seq
    f += (layers - 1) * 2.0 * g * hidden * (2 * hidden) * batch * seq
    return 3 * f if mode == "train" else f


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def print_table(head, table):
    """First column left-aligned, the others right-aligned, a dashed rule
    under the header."""
    widths = [max(len(head[i]), *(len(row[i]) for row in table)) for i in range(len(head))]
    fmt = "  ".join(["{:<%d}" % widths[0]] + ["{:>%d}" % w for w in widths[1:]])
    print(fmt.format(*head))
    print(fmt.format(*("-" * w for w in widths)))
    for row in table:
        print(fmt.format(*row))
