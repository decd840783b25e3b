"""mfrec — the movie recommender library (libmfrec) from Python.

    import mfrec
    ds = mfrec.load_movielens("ml-latest-small")
    model = mfrec.train(ds, algo="ials", factors=128)     # or Model(...).fit(ds)
    ids, scores = model.recommend(1, n=10)
    like, _ = model.similar_items(1, n=5)                  # movies like Toy Story
    mfrec.evaluate(ds, algo="sgd")["rmse"]

Everything runs in libmfrec.so through ctypes (the GIL is released during
each call); numpy arrays come in and out. Users and movies are named by
their external ids (MovieLens userId / movieId). Errors are MfrecError with
the library's status number and message. Documentation: docs/python.md.
"""

from ._core import (Dataset, MfrecError, Model, Recommendations, cross_validate,
                    evaluate, load, load_movielens, train, train_params)
from ._lib import METRIC_NAMES, path as library_path, version as library_version

__version__ = library_version


def _algorithms():
    from ._lib import lib
    names, a = [], 0
    while lib.mfr_algo_name(a) is not None:
        names.append(lib.mfr_algo_name(a).decode())
        a += 1
    return tuple(names)


ALGORITHMS = _algorithms()

__all__ = ["Dataset", "Model", "MfrecError", "Recommendations", "load_movielens",
           "train", "train_params", "load", "evaluate", "cross_validate",
           "ALGORITHMS", "METRIC_NAMES", "library_path", "library_version"]
