"""Datasets from arrays, frames and sparse matrices; merging; errors."""

import numpy as np
import pytest
import scipy.sparse as sp

import mfrec


def test_from_arrays_ids_order_duplicates():
    ds = mfrec.Dataset.from_arrays([7, 3, 7, 7], [100, 5, 5, 5], [4, 2, 1, 3.5],
                                   timestamps=[1, 2, 3, 2])
    assert (ds.n_users, ds.n_items, ds.n_ratings) == (2, 2, 3)
    assert list(ds.user_ids) == [7, 3] and list(ds.item_ids) == [100, 5]
    assert ds.report["duplicates"] == 1
    u, i, r, t = ds.to_arrays()
    # (7, 5): the rating with the larger timestamp (3) wins
    assert r[(u == 7) & (i == 5)].tolist() == [1.0]
    assert ds.scale == (1.0, 4.0)


def test_implicit_and_frame():
    frame = {"uid": np.array([1, 1, 2]), "mid": np.array([10, 20, 10])}
    ds = mfrec.Dataset.from_frame(frame, user="uid", item="mid", rating=None)
    assert ds.to_arrays()[2].tolist() == [1.0, 1.0, 1.0]


def test_from_csr_matches_from_arrays():
    m = sp.csr_matrix(np.array([[0, 4, 0], [5, 0, 3.5]]))
    ds = mfrec.Dataset.from_csr(m, user_ids=[11, 12], item_ids=[100, 200, 300])
    u, i, r, _ = ds.to_arrays()
    assert sorted(zip(u.tolist(), i.tolist(), r.tolist())) == [
        (11, 200, 4.0), (12, 100, 5.0), (12, 300, 3.5)]


def test_errors_carry_status_and_position():
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.Dataset.from_arrays([1, 2, 3], [1, 2, 3], [1, 9, 2], rating_range=(0.5, 5))
    assert e.value.status == 9 and e.value.name == "MFR_E_RANGE"
    assert "rating[1] = 9 outside 0.5..5" in e.value.message
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.Dataset.from_arrays([1], [1], [float("nan")])
    assert e.value.status == 5 and "rating[0]" in e.value.message
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.Dataset.from_arrays([], [], [])
    assert "no ratings" in e.value.message
    with pytest.raises(ValueError):
        mfrec.Dataset.from_arrays([1, 2], [1], [3, 4])
    with pytest.raises(mfrec.MfrecError) as e:
        mfrec.load_movielens("/nonexistent/ml")
    assert e.value.status == 2 and "/nonexistent/ml" in e.value.message


def test_import_fixture_and_strict(fixtures):
    ds = mfrec.load_movielens(fixtures + "/io/csv")
    assert ds.n_ratings == 5 and ds.title(10) == "Toy Story (1995)"
    assert ds.stats["n_catalog"] == 6


def test_merge_keeps_catalogue_and_tags(fixtures):
    ds = mfrec.load_movielens(fixtures + "/io/csv")
    merged = ds.merge([500, 500], [50, 60], [4.5, 1])
    assert merged.n_users == ds.n_users + 1 and merged.n_ratings == ds.n_ratings + 2
    assert list(merged.item_ids) == list(ds.item_ids)
    assert merged.title(50) == ds.title(50) and merged.stats["n_tags"] == ds.stats["n_tags"]
    assert merged.scale == ds.scale
    with pytest.raises(mfrec.MfrecError) as e:  # not in the catalogue
        ds.merge([500], [12345], [4])
    assert "movie 12345 is not in the catalogue" in e.value.message
    with pytest.raises(mfrec.MfrecError):  # off the scale
        ds.merge([500], [50], [7])
    # a frame-like mapping works the same; a newer rating of a known pair wins
    again = ds.merge({"userId": [1], "movieId": [10], "rating": [1.5]})
    u, i, r, _ = again.to_arrays()
    assert again.n_ratings == ds.n_ratings and r[(u == 1) & (i == 10)].tolist() == [1.5]


def test_save_and_reload(tmp_path, small):
    small.save(tmp_path / "s.mfd")
    again = mfrec.load_movielens(tmp_path / "s.mfd")
    for a, b in zip(small.to_arrays()[:3], again.to_arrays()[:3]):
        assert np.array_equal(a, b)
