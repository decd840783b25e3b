"""The ctypes mirror of the C structs (python/mfrec/_lib.py) against the
library's own text form: a field off by one slot reads garbage here."""

import math

import mfrec
from mfrec import _lib as L
from mfrec._core import _params_text


def _same(text, value):
    if isinstance(value, float):
        return math.isclose(float(text), value, rel_tol=1e-6, abs_tol=1e-9)
    try:
        return int(text) == value
    except ValueError:  # enums are written by name
        return True


def test_train_params_mirror_matches_the_library():
    for a, algo in enumerate(mfrec.ALGORITHMS):
        box = L.lib.mfr_train_params_default(a)
        assert box.p.algo == a
        text = _params_text(box.p)
        assert text.pop("algo") == algo
        for name, value in text.items():
            assert _same(value, getattr(box.p, name)), (algo, name, value, getattr(box.p, name))


def test_set_by_name_lands_in_the_field():
    box = mfrec.train_params("sgd", factors=17, reg=0.125, seed=99, epochs=3)
    assert (box.p.factors, box.p.reg, box.p.seed, box.p.epochs) == (17, 0.125, 99, 3)
    box = mfrec.train_params("ials", alpha=2.5, cg_steps=4)
    assert (box.p.alpha, box.p.cg_steps) == (2.5, 4)


def test_cv_params_mirror(small):
    # the cv defaults carry the training defaults of the same algorithm
    for a in range(len(mfrec.ALGORITHMS)):
        cv = L.lib.mfr_cv_params_default(a).p
        tp = L.lib.mfr_train_params_default(a).p
        assert cv.train.algo == a
        assert _params_text(cv.train) == _params_text(tp)
        assert cv.split.test_frac == 0.2 and cv.rank.k == 10


def test_model_info_mirror(small):
    m = mfrec.train(small, algo="sgd", factors=6, epochs=2, seed=5)
    info = m.info
    assert (info["n_users"], info["factors"], info["epochs_run"]) == (small.n_users, 6, 2)
    assert m.params["factors"] == "6" and m.params["seed"] == "5"
    assert 0.5 <= info["mu"] <= 5
