#!/usr/bin/env python3
"""The mfrec workflow in Python, notebook style: load -> merge -> train ->
similar -> recommend -> evaluate, printing what each step finds.

    /usr/bin/python3 python/examples/workflow.py [path/to/ml-latest-small]

(MFREC_LIB=build/libmfrec.so runs it against a build without installing.)"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mfrec  # noqa: E402

data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "MFREC_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                               "datasets", "ml-latest-small"))

# %% 1. Load MovieLens: every rating, the catalogue and the tags.
ds = mfrec.load_movielens(data)
print(ds, "scale", ds.scale, "tags", ds.stats["n_tags"])

# %% 2. Merge in a new user: someone who loves Pixar and Studio Ghibli.
me = 1_000_000
liked = {1: 5.0, 3114: 5.0, 78499: 4.5, 5618: 5.0, 6350: 4.5, 4886: 4.0}
ds = ds.merge([me] * len(liked), list(liked), list(liked.values()))
print("merged:", ds)

# %% 3. Train the default model (auto: EASE ranks, SGD gives the stars).
model = mfrec.train(ds, progress=True)
print(model, "train RMSE %.4f" % model.info["train_rmse"])

# %% 4. Movies like Toy Story (co-occurrence: who watched both).
toy = int(model.find("Toy Story (1995)")[0])
ids, scores = model.similar_items(toy, n=5)
print("\nlike %s:" % model.title(toy))
for i, s in zip(ids, scores):
    print("  %-50s %.3f" % (model.title(i), s))

# %% 5. What the new user should watch next.
recs = model.recommend(me, n=8)
print("\nfor the new user:")
for i, s, p in zip(recs.ids, recs.scores, recs.predictions):
    print("  %-50s score %.3f  %.1f stars" % (model.title(i), s, p))

# %% 6. How good is it? The same numbers as `mfrec eval DATA --algo sgd`.
r = mfrec.evaluate(ds, algo="sgd")
print("\nsgd on a 20%% holdout: RMSE %.4f  NDCG@10 %.4f  precision@10 %.4f"
      % (r["rmse"], r["ndcg"], r["precision"]))
