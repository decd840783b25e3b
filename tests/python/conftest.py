"""pytest setup for the Python package: the checkout's python/ comes first on
sys.path, and libmfrec.so is the build's (MFREC_LIB, set by ctest; else the
package's own search). Paths ctest passes: MFREC (the CLI), MFR_DATA_DIR
(ml-latest-small, optional), MFR_FIXTURES."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))


def _movielens():
    d = os.environ.get("MFR_DATA_DIR") or os.path.join(
        os.path.dirname(ROOT), "shared", "datasets", "ml-latest-small")
    return d if os.path.exists(os.path.join(d, "ratings.csv")) else None


@pytest.fixture(scope="session")
def movielens_dir():
    d = _movielens()
    if d is None:
        pytest.skip("ml-latest-small not found (MFR_DATA_DIR)")
    return d


@pytest.fixture(scope="session")
def movielens(movielens_dir):
    import mfrec
    return mfrec.load_movielens(movielens_dir)


@pytest.fixture(scope="session")
def cli():
    exe = os.environ.get("MFREC") or shutil.which("mfrec")
    if not exe or not os.path.exists(exe):
        pytest.skip("the mfrec command was not found (MFREC)")

    def run(*args, **kw):
        r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, **kw)
        assert r.returncode == 0, "mfrec %s: %s" % (" ".join(map(str, args)), r.stderr)
        return r.stdout
    return run


@pytest.fixture(scope="session")
def fixtures():
    d = os.environ.get("MFR_FIXTURES")
    if not d:
        pytest.skip("MFR_FIXTURES not set (run through ctest)")
    return d


@pytest.fixture()
def small():
    """A small synthetic-like dataset with a catalogue-free id space."""
    import numpy as np
    import mfrec
    rng = np.random.default_rng(7)
    n = 3000
    u = rng.integers(1, 81, n) * 10
    i = rng.integers(1, 121, n) + 1000
    r = rng.integers(1, 11, n) / 2.0
    return mfrec.Dataset.from_arrays(u, i, r, rating_range=(0.5, 5))
