"""Training, the questions a model answers, factor views, files, progress."""

import gc
import threading

import numpy as np
import pytest

import mfrec


@pytest.fixture()
def sgd(small):
    return mfrec.train(small, algo="sgd", factors=8, epochs=5, seed=3)


def test_train_is_model_fit_and_deterministic(small):
    a = mfrec.train(small, algo="sgd", factors=8, epochs=5, seed=3, threads=1)
    b = mfrec.Model(algo="sgd", factors=8, epochs=5, seed=3, threads=1).fit(small)
    assert np.array_equal(a.user_factors, b.user_factors)
    assert np.array_equal(a.item_factors, b.item_factors)
    assert a.algo == "sgd" and a.info["factors"] == 8


def test_bad_parameters_are_errors(small):
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.train(small, algo="nope")
    assert e.value.status == 5 and "sgd" in e.value.message  # lists the known names
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.Model(algo="sgd", factors=-3)
    assert "factors" in e.value.message
    with pytest.raises(mfrec.MfrecError):
        mfrec.Model(algo="sgd", no_such_field=1)


def test_predict_is_the_factor_formula(sgd, small):
    P, Q = sgd.user_factors, sgd.item_factors
    bu, bi, mu = sgd.user_biases, sgd.item_biases, sgd.global_mean
    users, items = np.meshgrid(sgd.user_ids, sgd.item_ids, indexing="ij")
    got = sgd.predict(users.ravel(), items.ravel()).reshape(users.shape)
    want = np.clip(mu + bu[:, None] + bi[None, :] + P @ Q.T, 0.5, 5)
    assert np.allclose(got, want, atol=1e-4)
    u0, i0 = int(sgd.user_ids[0]), int(sgd.item_ids[0])
    assert sgd.predict(u0, i0) == pytest.approx(float(got[0, 0]))
    # unknown ids get the fallback, not an error
    assert np.isfinite(sgd.predict(-5, i0))


def test_views_are_read_only_and_outlive_the_model(small):
    import weakref
    m = mfrec.train(small, algo="sgd", factors=4, epochs=2)
    P = m.user_factors
    first = P.copy()
    with pytest.raises(ValueError):
        P[0, 0] = 1.0
    alive = weakref.ref(m)
    del m
    gc.collect()
    assert alive() is not None  # the view keeps the model (and its memory)
    assert np.array_equal(P, first)
    del P
    gc.collect()
    assert alive() is None  # and lets it go with the view


def test_recommend_and_recommend_all_agree(sgd):
    users, ids, scores = sgd.recommend_all(n=5, min_ratings=1)
    assert ids.shape == (sgd.n_users, 5)
    for j in (0, 7, len(users) - 1):
        r = sgd.recommend(users[j], n=5, min_ratings=1)
        assert np.array_equal(r.ids, ids[j]) and np.allclose(r.scores, scores[j])
        assert len(r.predictions) == 5
    ids_, scores_ = sgd.recommend(users[0], n=5, min_ratings=1)  # unpacks as a pair
    assert np.all(np.diff(scores_) <= 0)
    # filter_seen=False may list rated movies; filter_seen=True never does
    seen_free = sgd.recommend(users[0], n=50, min_ratings=1)
    all_ = sgd.recommend(users[0], n=50, min_ratings=1, filter_seen=False)
    assert len(set(all_.ids) - set(seen_free.ids)) > 0
    with pytest.raises(mfrec.MfrecError) as e:
        sgd.recommend(424242)
    assert e.value.status == 6


def test_similar_items(sgd):
    i = int(sgd.item_ids[0])
    ids, scores = sgd.similar_items(i, n=5, min_ratings=1)
    assert i not in ids and len(ids) == len(scores) <= 5
    ids2, _ = sgd.similar_items(i, n=5, metric="cosine", min_ratings=1)
    assert len(ids2) == 5
    with pytest.raises(mfrec.MfrecError):
        sgd.similar_items(i, metric="nope")


def test_save_load_roundtrip(tmp_path, sgd):
    sgd.save(tmp_path / "m.mfm")
    m = mfrec.load(tmp_path / "m.mfm")
    assert np.array_equal(m.item_factors, sgd.item_factors)
    u = sgd.user_ids[3]
    assert np.array_equal(m.recommend(u).ids, sgd.recommend(u).ids)
    (tmp_path / "bad.mfm").write_bytes(b"not a model")
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.load(tmp_path / "bad.mfm")
    assert e.value.name == "MFR_E_FORMAT"


def test_progress_callback_and_cancel(small):
    seen = []
    m = mfrec.train(small, algo="sgd", epochs=6, progress=lambda p: seen.append(p["step"]))
    assert seen == [1, 2, 3, 4, 5, 6] and not m.cancelled
    m = mfrec.train(small, algo="sgd", epochs=6, progress=lambda p: p["step"] >= 2)
    assert m.cancelled and m.info["epochs_run"] == 2

    def boom(p):
        raise KeyError("from the callback")
    with pytest.raises(KeyError):
        mfrec.train(small, algo="sgd", epochs=6, progress=boom)


def test_training_releases_the_gil(small):
    # A Python thread notes the longest stretch it could not run. With the GIL
    # held through the C call that stretch is the whole training; released,
    # it is the interpreter's switch interval (or the OS scheduler's).
    import time
    state = {"last": None, "gap": 0.0, "stop": False, "go": False}

    def watch():
        while not state["stop"]:
            now = time.perf_counter()
            if state["go"] and state["last"] is not None:
                state["gap"] = max(state["gap"], now - state["last"])
            state["last"] = now
    t = threading.Thread(target=watch)
    t.start()
    state["go"] = True
    t0 = time.perf_counter()
    mfrec.train(small, algo="als", factors=48, epochs=40, threads=1)
    took = time.perf_counter() - t0
    state["stop"] = True
    t.join()
    assert took > 0.05, took  # long enough to tell the two apart
    assert state["gap"] < 0.5 * took, (state["gap"], took)


def test_evaluate_and_cross_validate(small):
    r = mfrec.evaluate(small, algo="sgd", factors=4, epochs=3)
    assert set(mfrec.METRIC_NAMES) <= set(r) and r["n_test"] > 0
    cv = mfrec.cross_validate(small, algo="baseline", folds=3, ranking=False)
    assert cv["n_folds"] == 3 and len(cv["folds"]) == 3 and "ndcg" not in cv["mean"]
    assert cv["mean"]["rmse"] == pytest.approx(np.mean([f["rmse"] for f in cv["folds"]]))


def test_progress_true_uses_tqdm_when_installed(small, monkeypatch):
    import sys
    import types
    bars = []

    class FakeTqdm:
        def __init__(self, total=None, desc=None, leave=None):
            self.total, self.n, self.closed = total, 0, False
            bars.append(self)

        def set_postfix(self, **kw):
            pass

        def refresh(self):
            pass

        def close(self):
            self.closed = True
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    mfrec.train(small, algo="sgd", epochs=4, progress=True)
    assert len(bars) == 1 and bars[0].total == 4 and bars[0].n == 4 and bars[0].closed


def test_genre_filter_and_titles(movielens):
    m = mfrec.train(movielens, algo="baseline")
    r = m.recommend(1, n=10, genre="comedy")
    assert len(r.ids) == 10 and all("Comedy" in m.genres(i) for i in r.ids)
    assert m.title(1) == "Toy Story (1995)" and 1 in m.find("toy story")
    assert m.genres(-1) == [] and m.title(-1) == ""
