#!/usr/bin/python3
"""compare.py A B [TOL]: the largest |difference| between two exported models'
factors and biases (mfrec export --format npy folders); exit 1 when it is
above TOL (default 1e-4) or the ids or shapes differ. Reads the .npy files
itself (format version 1/2/3 header, then the array), so the test needs no
numpy."""
import ast
import struct
import sys
from array import array


def load(path):
    """(shape, values as a list of floats, dtype) of a little-endian float .npy."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        sys.exit(f"compare: {path}: not a .npy file")
    if raw[6] == 1:
        (hlen,), start = struct.unpack("<H", raw[8:10]), 10
    else:
        (hlen,), start = struct.unpack("<I", raw[8:12]), 12
    head = ast.literal_eval(raw[start:start + hlen].decode("latin1"))
    body = raw[start + hlen:]
    codes = {"<f4": "f", "<f8": "d"}
    if head["descr"] not in codes or head["fortran_order"]:
        return head["shape"], body, head["descr"]
    vals = array(codes[head["descr"]])
    vals.frombytes(body)
    return head["shape"], vals, head["descr"]


a, b = sys.argv[1], sys.argv[2]
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
worst = 0.0
for name in ("user_ids", "item_ids"):
    if load(f"{a}/{name}.npy") != load(f"{b}/{name}.npy"):
        print(f"compare: {name} differ")
        sys.exit(1)
for name in ("user_factors", "item_factors", "user_bias", "item_bias"):
    (sx, x, tx), (sy, y, ty) = load(f"{a}/{name}.npy"), load(f"{b}/{name}.npy")
    if sx != sy or tx != ty or len(x) != len(y):
        print(f"compare: {name} shapes {sx} {tx} and {sy} {ty}")
        sys.exit(1)
    for p, q in zip(x, y):
        worst = max(worst, abs(p - q))
print(f"max |delta| {worst:.3g} (tolerance {tol:g})")
sys.exit(0 if worst <= tol else 1)
