#!/usr/bin/python3
"""compare.py A B [TOL]: the largest |difference| between two exported models'
factors and biases (mfrec export --format npy folders); exit 1 when it is
above TOL (default 1e-4) or the ids or shapes differ."""
import sys

import numpy as np

a, b = sys.argv[1], sys.argv[2]
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
worst = 0.0
for name in ("user_ids", "item_ids"):
    if not np.array_equal(np.load(f"{a}/{name}.npy"), np.load(f"{b}/{name}.npy")):
        print(f"compare: {name} differ")
        sys.exit(1)
for name in ("user_factors", "item_factors", "user_bias", "item_bias"):
    x, y = np.load(f"{a}/{name}.npy"), np.load(f"{b}/{name}.npy")
    if x.shape != y.shape:
        print(f"compare: {name} shapes {x.shape} and {y.shape}")
        sys.exit(1)
    if x.size:
        worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y))))
print(f"max |delta| {worst:.3g} (tolerance {tol:g})")
sys.exit(0 if worst <= tol else 1)
