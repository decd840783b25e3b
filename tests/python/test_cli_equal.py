"""The Python package and the mfrec command give the same answers on the same
data and seed: the default model's factors, every user's list, and eval's
metrics (ml-latest-small; skipped without it or without the command)."""

import csv
import json

import numpy as np
import pytest

import mfrec


@pytest.fixture(scope="module")
def both(tmp_path_factory, movielens_dir, movielens, cli):
    d = tmp_path_factory.mktemp("eq")
    cli("train", movielens_dir, "-o", d / "cli.mfm", "-q")
    return d, mfrec.load(d / "cli.mfm"), mfrec.train(movielens)


def test_default_model_is_the_same(both):
    _, from_cli, from_py = both
    assert from_cli.algo == from_py.algo == "auto"
    assert from_cli.params == from_py.params
    assert np.array_equal(from_cli.user_factors, from_py.user_factors)
    assert np.array_equal(from_cli.item_factors, from_py.item_factors)
    assert np.array_equal(from_cli.item_biases, from_py.item_biases)


def test_every_users_list_is_the_same(both, cli):
    d, _, from_py = both
    cli("recommend", d / "cli.mfm", "--all", "-n", 10, "-o", d / "recs.csv")
    with open(d / "recs.csv") as f:
        rows = list(csv.DictReader(f))
    users, ids, scores = from_py.recommend_all(n=10)
    got = {}
    for r in rows:
        got.setdefault(int(r["user"]), []).append((int(r["movieId"]), float(r["score"])))
    assert len(got) == len(users) == 610
    for j, u in enumerate(users):
        cli_ids = [m for m, _ in got[int(u)]]
        assert cli_ids == [int(x) for x in ids[j] if x >= 0], u
        assert np.allclose([s for _, s in got[int(u)]], scores[j][: len(cli_ids)], atol=6e-5)
    # and one list through recommend, against the command's JSON
    out = json.loads(cli("recommend", d / "cli.mfm", "--user", 1, "-n", 5, "--json"))
    rows = out["recommendations"] if isinstance(out, dict) else out
    assert [r["id"] if "id" in r else r["movieId"] for r in rows] == \
        from_py.recommend(1, n=5).ids.tolist()


def test_similar_and_predict_are_the_same(both, cli):
    d, from_cli, from_py = both
    assert np.array_equal(from_cli.similar_items(1, n=10)[0], from_py.similar_items(1, n=10)[0])
    line = cli("predict", d / "cli.mfm", "--user", 1, "--movie", 3114).strip()
    assert float(line.split(",")[-1]) == pytest.approx(from_py.predict(1, 3114), abs=1e-4)


def test_eval_metrics_are_the_same(movielens_dir, movielens, cli):
    out = json.loads(cli("eval", movielens_dir, "--algo", "sgd", "--json", "-q"))
    want = out["result"]["folds"][0]["metrics"]
    got = mfrec.evaluate(movielens, algo="sgd")
    for m, v in want.items():
        if m.endswith("_s"):
            continue  # seconds
        assert got[m] == pytest.approx(v, rel=1e-8, abs=1e-9), m
    assert got["n_test"] == out["result"]["folds"][0]["n_test"]


def test_cross_validation_is_the_same(movielens_dir, movielens, cli):
    out = json.loads(cli("eval", movielens_dir, "--algo", "baseline", "--folds", 3, "--json", "-q"))
    got = mfrec.cross_validate(movielens, algo="baseline", folds=3)
    for m, v in out["result"]["mean"].items():
        if not m.endswith("_s"):
            assert got["mean"][m] == pytest.approx(v, rel=1e-8, abs=1e-9), m
            assert got["std"][m] == pytest.approx(out["result"]["std"][m], rel=1e-6, abs=1e-9), m
    assert [f["n_test"] for f in got["folds"]] == [f["n_test"] for f in out["result"]["folds"]]
