"""`mfrec export MODEL`: the .npy and CSV files hold exactly the model's ids,
biases and factors (as the Python views see them); bad requests exit with
the documented status."""

import csv
import json
import os
import subprocess

import numpy as np
import pytest

import mfrec


@pytest.fixture()
def trained(tmp_path, small):
    m = mfrec.train(small, algo="sgd", factors=5, epochs=3, seed=1)
    m.save(tmp_path / "m.mfm")
    return tmp_path, m


def test_npy(trained, cli):
    d, m = trained
    cli("export", d / "m.mfm", "--format", "npy", "-o", d / "out")
    assert np.array_equal(np.load(d / "out" / "user_ids.npy"), m.user_ids)
    assert np.array_equal(np.load(d / "out" / "item_ids.npy"), m.item_ids)
    assert np.array_equal(np.load(d / "out" / "user_bias.npy"), m.user_biases)
    assert np.array_equal(np.load(d / "out" / "item_bias.npy"), m.item_biases)
    P = np.load(d / "out" / "user_factors.npy")
    assert P.dtype == np.float32 and P.shape == (m.n_users, 5)
    assert np.array_equal(P, m.user_factors)
    assert np.array_equal(np.load(d / "out" / "item_factors.npy"), m.item_factors)
    meta = json.load(open(d / "out" / "model.json"))
    assert meta["algo"] == "sgd" and meta["factors"] == 5
    assert meta["mu"] == pytest.approx(m.global_mean)
    assert "item_factors.npy" in meta["files"]


def test_csv_default_dir(trained, cli):
    d, m = trained
    cli("export", d / "m.mfm")  # into m-export/
    with open(d / "m-export" / "items.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["movieId", "bias", "f1"] and rows[0][-1] == "title"
    body = np.array([[float(x) for x in r[:-1]] for r in rows[1:]])
    assert np.array_equal(body[:, 0].astype(np.int64), m.item_ids)
    assert np.allclose(body[:, 1], m.item_biases, rtol=1e-7)
    assert np.allclose(body[:, 2:], m.item_factors, rtol=1e-7, atol=1e-9)
    with open(d / "m-export" / "users.csv") as f:
        rows = list(csv.reader(f))
    assert len(rows) == m.n_users + 1 and len(rows[0]) == 2 + 5


def test_errors(trained, tmp_path, small):
    exe = os.environ.get("MFREC")
    if not exe:
        pytest.skip("MFREC not set")
    d, _ = trained
    run = lambda *a: subprocess.run([exe, "export", *map(str, a)], capture_output=True, text=True)
    r = run(d / "m.mfm", "--format", "xls")
    assert r.returncode == 5 and "csv or npy" in r.stderr
    # a model without factors: ids and biases, no factor files
    mfrec.train(small, algo="ease").save(tmp_path / "e.mfm")
    r = run(tmp_path / "e.mfm", "--format", "npy")
    assert r.returncode == 0, r.stderr
    files = sorted(os.listdir(tmp_path / "e-export"))
    assert files == ["item_bias.npy", "item_ids.npy", "model.json", "user_bias.npy", "user_ids.npy"]
    assert json.load(open(tmp_path / "e-export" / "model.json"))["factors"] == 0
    r = run(d / "m.mfm", "-o", "/proc/no/such/dir")
    assert r.returncode == 2 and "/proc/no/such/dir" in r.stderr
    r = run(d / "missing.mfm")
    assert r.returncode == 2


def test_csv_quotes_titles(tmp_path, fixtures, cli):
    ds = mfrec.load_movielens(fixtures + "/io/csv")  # titles with commas and quotes
    m = mfrec.train(ds, algo="baseline")
    m.save(tmp_path / "q.mfm")
    cli("export", tmp_path / "q.mfm", "-o", tmp_path / "q")
    with open(tmp_path / "q" / "items.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["title"] for r in rows] == [m.title(i) for i in m.item_ids]
    assert 'A "Quoted" Word (2001)' in [r["title"] for r in rows]
    assert list(rows[0]) == ["movieId", "bias", "title"]  # no factors: no f columns
