"""`pip install ./python` works offline (no index, no build isolation: Debian's
setuptools and numpy), and the installed package runs from outside the
checkout. Debian marks its Python externally managed (PEP 668), so the
install goes into a venv that sees the system's site-packages."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT


def test_pip_install_offline(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True)
    py = str(venv / "bin" / "python")
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    subprocess.run(["cp", "-r", os.path.join(ROOT, "python"), str(src)], check=True)
    r = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                        "--no-cache-dir", "-q", str(src)], capture_output=True, text=True)
    if r.returncode and "No module named pip" in r.stderr:
        pytest.skip("pip is not installed (python3-pip)")
    assert r.returncode == 0, r.stderr
    code = ("import mfrec, numpy as np; "
            "ds = mfrec.Dataset.from_arrays(np.arange(40) % 8, np.arange(40) % 5, "
            "np.arange(40) % 5 + 1.0); "
            "m = mfrec.train(ds, algo='sgd', factors=2, epochs=2); "
            "print(mfrec.__file__); print(len(m.recommend(0, n=3, filter_seen=False).ids))")
    r = subprocess.run([py, "-c", code], capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    where, n = r.stdout.split()
    assert where.startswith(str(venv)) and n == "3"


def test_missing_library_is_a_clear_import_error(tmp_path):
    code = "import sys; sys.path.insert(0, %r); import mfrec" % os.path.join(ROOT, "python")
    env = dict(os.environ, MFREC_LIB=str(tmp_path / "nope.so"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "MFREC_LIB" in r.stderr and "nope.so" in r.stderr
