"""Datasets, models and evaluation over libmfrec (see mfrec/__init__.py)."""

import ctypes
import math
import sys
from ctypes import byref, c_float, c_int, c_int32, c_void_p

import numpy as np

from . import _lib as L
from ._lib import lib

SIM = {"pearson": 0, "cosine": 1, "pearson-baseline": 2, "msd": 3, "cooc": 4}
SPLIT = {"holdout": 0, "kfold": 1, "leave-out": 2, "time": 3, "user-last": 4}


class MfrecError(Exception):
    """An error from libmfrec: .status is the mfr_status number (the CLI's
    exit status, stable), .name its name ("MFR_E_PARSE"), .message what the
    library said (file, line, field where it knows them)."""

    def __init__(self, status, message):
        self.status = int(status)
        self.name = lib.mfr_status_name(self.status).decode()
        self.message = message or lib.mfr_status_message(self.status).decode()
        super().__init__("%s (%s)" % (self.message, self.name))


def _check(status, err):
    if status:
        raise MfrecError(status, err.message.decode("utf-8", "replace"))


def _b(s):
    return s.encode() if isinstance(s, str) else s


def _s(b):
    return b.decode("utf-8", "replace") if b is not None else ""


def _view(ptr, count, dtype, owner):
    """A read-only numpy view of count elements at ptr, keeping owner alive."""
    if not ptr or count == 0:
        return None
    ctype = np.ctypeslib.as_ctypes_type(np.dtype(dtype))
    buf = (ctype * count).from_address(ctypes.addressof(ptr.contents))
    buf._mfrec_owner = owner  # the model or dataset stays while the view lives
    a = np.frombuffer(buf, dtype=dtype)
    a.flags.writeable = False
    return a


class _Progress:
    """Adapts a Python callable (or tqdm, or a plain stderr line) to
    mfr_progress_fn. An exception in the callable cancels the call and is
    raised again once the library returns."""

    def __init__(self, progress, desc):
        self.error = None
        self.bar = None
        self.fn = None
        if progress is True:
            try:
                from tqdm import tqdm  # optional
                self.tqdm = tqdm
            except ImportError:
                self.tqdm = None
            self.desc = desc
            self.fn = self._default
        elif callable(progress):
            self.fn = progress
        self.c = L.PROGRESS_FN(self._call) if self.fn else L.PROGRESS_FN()

    def _default(self, p):
        if self.tqdm is not None:
            if self.bar is None:
                self.bar = self.tqdm(total=p["steps"] if p["steps"] > 0 else None,
                                     desc=self.desc, leave=False)
            self.bar.n = p["step"]
            if not math.isnan(p["train_rmse"]):
                self.bar.set_postfix(train_rmse="%.4f" % p["train_rmse"], refresh=False)
            self.bar.refresh()
        else:
            line = "%s %d/%s" % (p["stage"], p["step"], p["steps"] if p["steps"] > 0 else "?")
            if not math.isnan(p["train_rmse"]):
                line += "  train %.4f" % p["train_rmse"]
            if not math.isnan(p["valid_rmse"]):
                line += "  valid %.4f" % p["valid_rmse"]
            sys.stderr.write("\r" + line + "  %.1fs " % p["elapsed_s"])
            sys.stderr.flush()
            self.drew = True

    def _call(self, pp, user):
        p = pp.contents
        d = {"stage": _s(p.stage), "step": p.step, "steps": p.steps,
             "train_rmse": p.train_rmse, "valid_rmse": p.valid_rmse, "loss": p.loss,
             "elapsed_s": p.elapsed_s, "eta_s": p.eta_s}
        try:
            return 1 if self.fn(d) else 0
        except BaseException as e:  # KeyboardInterrupt too: stop the library
            self.error = e
            return 1

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif getattr(self, "drew", False):
            sys.stderr.write("\n")
        if self.error is not None:
            raise self.error


class _Handle:
    """Owns one library object (self._h), freed by the class's _free when
    the Python object goes."""
    _free = None

    def __del__(self):
        h = getattr(self, "_h", None)
        if h and h.value:
            type(self)._free(h)
            self._h = None


# ---- datasets ---------------------------------------------------------------

class Dataset(_Handle):
    """Ratings with their id maps and, from MovieLens, the movie catalogue
    (titles, genres, years) and tags. Users and movies are named by their
    external ids (MovieLens userId / movieId) everywhere in this API."""

    _free = staticmethod(lib.mfr_dataset_free)

    def __init__(self, handle):
        self._h = c_void_p(handle)
        self._st = None

    @classmethod
    def from_arrays(cls, users, items, ratings=None, timestamps=None, catalog=None,
                    rating_range=None):
        """A dataset from parallel arrays of user ids, movie ids and ratings
        (None: implicit data, every rating 1) and optional timestamps.
        catalog: a Dataset whose movies (titles, genres) and tags come first;
        a movie outside its catalogue is an error. rating_range=(lo, hi)
        checks the ratings and sets the scale (default: the catalogue's, else
        the data's min..max). Duplicate (user, movie) pairs keep the latest."""
        u = np.ascontiguousarray(users, dtype=np.int64)
        i = np.ascontiguousarray(items, dtype=np.int64)
        if u.ndim != 1 or u.shape != i.shape:
            raise ValueError("users and items must be 1-D arrays of the same length")
        a = L.DatasetArrays(n=len(u), user=u.ctypes.data_as(L.i64p), item=i.ctypes.data_as(L.i64p))
        keep = [u, i]  # the arrays must live until the call returns
        for name, x, dtype, ptr in (("rating", ratings, np.float32, L.f32p),
                                    ("time", timestamps, np.int64, L.i64p)):
            if x is None:
                continue
            x = np.ascontiguousarray(x, dtype=dtype)
            if x.shape != u.shape:
                raise ValueError("%ss must have one value per (user, item)" % name)
            setattr(a, name, x.ctypes.data_as(ptr))
            keep.append(x)
        if catalog is not None:
            a.catalog = catalog._h
        if rating_range is not None:
            a.rating_min, a.rating_max = float(rating_range[0]), float(rating_range[1])
        out, err = c_void_p(), L.Error()
        _check(lib.mfr_dataset_build(byref(a), byref(out), byref(err)), err)
        return cls(out.value)

    @classmethod
    def from_frame(cls, df, user="userId", item="movieId", rating="rating",
                   timestamp=None, **kw):
        """From a pandas DataFrame (or any mapping of column name to array).
        rating=None: implicit data. Keywords as from_arrays."""
        col = lambda c: None if c is None else np.asarray(df[c])
        return cls.from_arrays(col(user), col(item), col(rating), col(timestamp), **kw)

    @classmethod
    def from_csr(cls, matrix, user_ids=None, item_ids=None, **kw):
        """From a scipy.sparse matrix, rows users and columns movies, the
        stored values the ratings (explicit zeros included). Ids are the row
        / column numbers unless user_ids / item_ids give them."""
        import scipy.sparse as sp
        m = sp.csr_matrix(matrix)
        rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
        cols = m.indices.astype(np.int64)
        if user_ids is not None:
            rows = np.asarray(user_ids, dtype=np.int64)[rows]
        if item_ids is not None:
            cols = np.asarray(item_ids, dtype=np.int64)[cols]
        return cls.from_arrays(rows, cols, m.data.astype(np.float32), **kw)

    def merge(self, users, items=None, ratings=None, timestamps=None):
        """This dataset plus more ratings (new users, or newer ratings of
        known ones: the latest wins), with this dataset's catalogue and
        scale. The first argument may also be a DataFrame-like object with
        columns userId, movieId, rating[, timestamp]."""
        if items is None and hasattr(users, "keys"):
            df = users
            items = df["movieId"]
            ratings = df["rating"] if "rating" in df else None
            timestamps = df["timestamp"] if "timestamp" in df else None
            users = df["userId"]
        if items is None:
            raise ValueError("merge: give users and items (or one frame)")
        u, i, r, t = self.to_arrays()
        nu = np.asarray(users, dtype=np.int64)
        nr = np.ones(len(nu), np.float32) if ratings is None else np.asarray(ratings, np.float32)
        if t is not None:
            nt = (np.full(len(nu), t.max() + 1 if len(t) else 0, np.int64)
                  if timestamps is None else np.asarray(timestamps, np.int64))
            t = np.concatenate([t, nt])
        lo, hi = self.scale
        return Dataset.from_arrays(np.concatenate([u, nu]),
                                   np.concatenate([i, np.asarray(items, np.int64)]),
                                   np.concatenate([r, nr]), t, catalog=self,
                                   rating_range=(lo, hi))

    def to_arrays(self):
        """(user ids, movie ids, ratings, timestamps or None), copies."""
        v = L.Ratings()
        lib.mfr_dataset_ratings(self._h, byref(v))
        n = v.n
        if n == 0:
            return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), None)
        uidx = np.ctypeslib.as_array(v.user, (n,))
        iidx = np.ctypeslib.as_array(v.item, (n,))
        u = self.user_ids[uidx]
        i = self.item_ids[iidx]
        r = np.ctypeslib.as_array(v.rating, (n,)).copy()
        t = np.ctypeslib.as_array(v.time, (n,)).copy() if v.time else None
        return u, i, r, t

    def to_frame(self):
        """The ratings as a pandas DataFrame (userId, movieId, rating[, timestamp])."""
        import pandas as pd
        u, i, r, t = self.to_arrays()
        d = {"userId": u, "movieId": i, "rating": r}
        if t is not None:
            d["timestamp"] = t
        return pd.DataFrame(d)

    def _stats(self):
        if self._st is None:  # a dataset never changes: count once
            s = L.DatasetStats()
            lib.mfr_dataset_stats_get(self._h, byref(s))
            self._st = s
        return self._st

    @property
    def stats(self):
        """The numbers `mfrec import` prints, as a dict."""
        s = self._stats()
        return {n: getattr(s, n) for n, _ in L.DatasetStats._fields_ if not n.startswith("_")}

    @property
    def report(self):
        """Import counts by reason and the first bad rows ("file:line: reason")."""
        r = lib.mfr_dataset_report(self._h).contents
        d = {n: getattr(r, n) for n, _ in L.ImportReport._fields_}
        d["messages"] = [_s(lib.mfr_dataset_message(self._h, j)) for j in range(r.n_messages)]
        return d

    n_users = property(lambda self: self._stats().n_users)
    n_items = property(lambda self: self._stats().n_items)
    n_ratings = property(lambda self: self._stats().n_ratings)

    def __len__(self):
        return self.n_ratings

    @property
    def scale(self):
        lo, hi = c_float(), c_float()
        lib.mfr_dataset_scale(self._h, byref(lo), byref(hi))
        return (lo.value, hi.value)

    @property
    def user_ids(self):
        """External user ids in index order (read-only view)."""
        return _view(lib.mfr_dataset_user_ids(self._h), self._stats().n_users, np.int64, self)

    @property
    def item_ids(self):
        """External movie ids in index order (read-only view)."""
        return _view(lib.mfr_dataset_item_ids(self._h), self._stats().n_items, np.int64, self)

    def title(self, item_id):
        i = lib.mfr_dataset_item_index(self._h, int(item_id))
        return _s(lib.mfr_dataset_item_title(self._h, i)) if i >= 0 else ""

    def save(self, path):
        """Write the binary .mfd file (loads again with load_movielens)."""
        err = L.Error()
        _check(lib.mfr_dataset_save(self._h, _b(str(path)), byref(err)), err)

    def __repr__(self):
        s = self._stats()
        return "<mfrec.Dataset %d users, %d movies, %d ratings>" % (s.n_users, s.n_items, s.n_ratings)


def load_movielens(path, strict=False, catalog=True, tags=True, columns=None,
                   rating_range=None, progress=False):
    """Import a MovieLens folder or zip (ml-latest-small, ml-25m, ml-100k,
    ml-1m, ml-10m), a single ratings file, a generic CSV (columns="user,item,
    rating[,timestamp]") or a .mfd file, exactly as `mfrec import` does.
    Bad rows are counted in .report (strict=True: the first one is an error)."""
    box = L.ImportParamsBox()
    box.p = lib.mfr_import_params_default()
    p = box.p
    err = L.Error()
    p.strict = 1 if strict else 0
    p.load_catalog = 1 if catalog else 0
    p.load_tags = 1 if tags else 0
    if columns:
        _check(lib.mfr_import_params_set_columns(byref(p), _b(columns), byref(err)), err)
    if rating_range is not None:
        p.rating_min, p.rating_max = float(rating_range[0]), float(rating_range[1])
    prog = _Progress(progress, "import")
    p.progress = prog.c
    out = c_void_p()
    st = lib.mfr_dataset_import(_b(str(path)), byref(p), byref(out), byref(err))
    prog.close()
    _check(st, err)
    return Dataset(out.value)


# ---- models -----------------------------------------------------------------

def _algo_number(name):
    a, err = c_int(), L.Error()
    _check(lib.mfr_algo_from_name(_b(name), byref(a), byref(err)), err)
    return a.value


def _params_text(p):
    buf = ctypes.create_string_buffer(8192)
    lib.mfr_train_params_format(byref(p), buf, len(buf))
    out = {}
    for line in buf.value.decode().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def _format_value(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def train_params(algo="auto", **params):
    """The C training parameters for algo with params set by name, as
    `mfrec train --algo ALGO --NAME VALUE` sets them: defaults of the model
    first, then each name in turn, then the same checks."""
    a = _algo_number(algo)
    box = lib.mfr_train_params_default(a)
    err = L.Error()
    for name, value in params.items():
        if L.train_params_applies is not None and \
                L.train_params_applies(a, _b(name)) == 0:
            used = ", ".join(k for k in _params_text(box.p) if k != "algo")
            raise MfrecError(5, "%s does not use %s; its parameters: %s" % (algo, name, used))
        _check(lib.mfr_train_params_set(byref(box.p), _b(name), _b(_format_value(value)),
                                        byref(err)), err)
    _check(lib.mfr_train_params_check(byref(box.p), byref(err)), err)
    return box


class Model(_Handle):
    """A recommender. Model(algo="ials", factors=128).fit(ds), or
    mfrec.train(ds, ...), or mfrec.load("model.mfm"). Parameters are the
    names of `mfrec train --help` (factors, epochs, lr, reg, seed, threads,
    ...); algo is one of mfrec.ALGORITHMS ("auto", the default, as the CLI's)."""

    def __init__(self, algo="auto", progress=False, **params):
        self._box = train_params(algo, **params)
        self._h = None
        self.progress = progress
        self.cancelled = False

    _free = staticmethod(lib.mfr_model_free)

    @classmethod
    def _wrap(cls, handle):
        m = cls.__new__(cls)
        m._h = c_void_p(handle)
        m._box = None
        m.progress = False
        m.cancelled = False
        return m

    def fit(self, ds, progress=None):
        """Train on every rating of ds. The GIL is released while it runs.
        progress: a callable taking a dict (stage, step, steps, train_rmse,
        valid_rmse, loss, elapsed_s, eta_s; return True to stop early: the
        model of the last finished epoch is kept and .cancelled set), True
        for a tqdm bar (or a stderr line without tqdm), False for none."""
        if self._box is None:
            raise MfrecError(5, "a loaded model cannot be refitted; make a new Model")
        prog = _Progress(self.progress if progress is None else progress, "train")
        box = L.TrainParamsBox()
        ctypes.memmove(byref(box), byref(self._box), ctypes.sizeof(box))
        box.p.progress = prog.c
        out, err = c_void_p(), L.Error()
        st = lib.mfr_model_train(ds._h, None, None, byref(box.p), byref(out), byref(err))
        try:
            prog.close()
        finally:
            if st and st != 7 and out.value:
                lib.mfr_model_free(out)
                out = c_void_p()
        if st == 7 and out.value:  # cancelled: keep the last finished epoch
            self.cancelled = True
        else:
            _check(st, err)
        if self._h and self._h.value:
            lib.mfr_model_free(self._h)
        self._h = out
        return self

    def _need(self):
        if not self._h or not self._h.value:
            raise MfrecError(5, "the model is not trained yet (call fit)")
        return self._h

    # ---- what the model holds
    def _info(self):
        i = L.ModelInfo()
        lib.mfr_model_info_get(self._need(), byref(i))
        return i

    @property
    def info(self):
        """What `mfrec info MODEL` shows: algo, sizes, μ, RMSEs, seconds."""
        i = self._info()
        d = {n: getattr(i, n) for n, _ in L.ModelInfo._fields_
             if n not in ("params", "_reserve")}
        d["algo"] = _s(lib.mfr_algo_name(i.algo))
        return d

    @property
    def params(self):
        """The training parameters that apply to this model, by name (text)."""
        return _params_text(self._info().params)

    algo = property(lambda self: _s(lib.mfr_algo_name(self._info().algo)))
    n_users = property(lambda self: lib.mfr_model_n_users(self._need()))
    n_items = property(lambda self: lib.mfr_model_n_items(self._need()))
    global_mean = property(lambda self: self._info().mu)

    @property
    def user_ids(self):
        return _view(lib.mfr_model_user_ids(self._need()), self.n_users, np.int64, self)

    @property
    def item_ids(self):
        return _view(lib.mfr_model_item_ids(self._need()), self.n_items, np.int64, self)

    def _factors(self, ptr, rows):
        k = self._info().factors
        v = _view(ptr, rows * k, np.float32, self)
        return None if v is None else v.reshape(rows, k)

    @property
    def user_factors(self):
        """P, [n_users, k] float32, a read-only view of the model's memory
        (row u is user_ids[u]); None for models without factors."""
        return self._factors(lib.mfr_model_user_factors(self._need()), self.n_users)

    @property
    def item_factors(self):
        """Q, [n_items, k] float32, read-only view (row i is item_ids[i])."""
        return self._factors(lib.mfr_model_item_factors(self._need()), self.n_items)

    @property
    def user_biases(self):
        return _view(lib.mfr_model_user_bias(self._need()), self.n_users, np.float32, self)

    @property
    def item_biases(self):
        return _view(lib.mfr_model_item_bias(self._need()), self.n_items, np.float32, self)

    def title(self, item_id):
        i = lib.mfr_model_item_index(self._need(), int(item_id))
        return _s(lib.mfr_model_item_title(self._h, i)) if i >= 0 else ""

    def genres(self, item_id):
        """The movie's genres, a list ([] when unknown)."""
        i = lib.mfr_model_item_index(self._need(), int(item_id))
        g = _s(lib.mfr_model_item_genres(self._h, i)) if i >= 0 else ""
        return g.split("|") if g else []

    def find(self, title):
        """Movie ids whose title matches (exact first, else containing)."""
        cap = 50
        out, n = (c_int32 * cap)(), c_int32()
        lib.mfr_model_find_title(self._need(), _b(title), out, cap, byref(n))
        return np.array([lib.mfr_model_item_ids(self._h)[out[j]] for j in range(min(n.value, cap))],
                        dtype=np.int64)

    # ---- id mapping
    def _uidx(self, user_id, strict=True):
        u = lib.mfr_model_user_index(self._need(), int(user_id))
        if u < 0 and strict:
            raise MfrecError(6, "user %d is not in the model" % int(user_id))
        return u

    def _iidx(self, item_id):
        i = lib.mfr_model_item_index(self._need(), int(item_id))
        if i < 0:
            raise MfrecError(6, "movie %d is not in the model" % int(item_id))
        return i

    @staticmethod
    def _map(ids, wanted):
        """Indices of wanted in ids (-1 where absent), vectorised."""
        wanted = np.asarray(wanted, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        s = ids[order]
        pos = np.searchsorted(s, wanted)
        pos[pos >= len(s)] = 0
        hit = s[pos] == wanted if len(s) else np.zeros(wanted.shape, bool)
        return np.where(hit, order[pos], -1).astype(np.int32)

    def _rows(self, out, n):
        ids = self.item_ids
        items = np.array([out[j].item for j in range(n)], dtype=np.int32)
        return (ids[items] if n else np.zeros(0, np.int64),
                np.array([out[j].score for j in range(n)], dtype=np.float32),
                np.array([out[j].prediction for j in range(n)], dtype=np.float32))

    # ---- questions
    def recommend(self, user_id, n=10, filter_seen=True, genre=None, min_ratings=None):
        """Top-n movies for user_id, best first, as mfrec recommend gives
        them: Recommendations (ids, scores), scores the ranking score the
        list is ordered by; .predictions has the predicted ratings."""
        u = self._uidx(user_id)
        rp = _recommend_params(n, filter_seen, genre, min_ratings)
        out, got, err = (L.Scored * max(1, rp.n))(), c_int32(), L.Error()
        _check(lib.mfr_model_recommend(self._h, u, byref(rp), out, byref(got), byref(err)), err)
        return Recommendations(*self._rows(out, got.value))

    def recommend_all(self, n=10, filter_seen=True, users=None, genre=None,
                      min_ratings=None, threads=0):
        """Top-n for every user (or the given user ids) on all cores, as
        `mfrec recommend --all`: (user ids [U], movie ids [U, n], scores
        [U, n]); rows shorter than n are padded with -1 / NaN."""
        if users is None:
            uidx = np.arange(self.n_users, dtype=np.int32)
        else:
            uidx = self._map(self.user_ids, users)
            if (uidx < 0).any():
                bad = np.asarray(users)[uidx < 0][0]
                raise MfrecError(6, "user %d is not in the model" % int(bad))
        rp = _recommend_params(n, filter_seen, genre, min_ratings)
        U = len(uidx)
        out = np.zeros((U, rp.n, 3), dtype=np.int32)  # mfr_scored rows: item, score, prediction
        got = np.zeros(U, dtype=np.int32)
        err = L.Error()
        _check(lib.mfr_model_recommend_batch(
            self._h, uidx.ctypes.data_as(L.i32p), U, byref(rp), int(threads),
            out.ctypes.data_as(ctypes.POINTER(L.Scored)), got.ctypes.data_as(L.i32p),
            byref(err)), err)
        items = out[:, :, 0]
        scores = out[:, :, 1].view(np.float32).copy()
        mask = np.arange(rp.n)[None, :] >= got[:, None]
        ids = np.where(mask, -1, self.item_ids[np.where(mask, 0, items)])
        scores[mask] = np.nan
        return self.user_ids[uidx].copy(), ids, scores

    def similar_items(self, item_id, n=10, metric="cooc", min_ratings=5):
        """Movies most like item_id, best first (mfrec similar): (ids,
        scores). metric: "cooc" (who rated both; the default), "pearson" or
        "cosine" of the factors."""
        i = self._iidx(item_id)
        if metric not in SIM:
            raise MfrecError(5, "metric %r: one of %s" % (metric, ", ".join(SIM)))
        out, got, err = (L.Scored * max(1, int(n)))(), c_int32(), L.Error()
        _check(lib.mfr_model_similar(self._h, i, SIM[metric], int(n), int(min_ratings),
                                     out, byref(got), byref(err)), err)
        ids, scores, _ = self._rows(out, got.value)
        return ids, scores

    def predict(self, users, items):
        """Predicted ratings of (user id, movie id) pairs, clipped to the
        scale; unknown users or movies get the model's fallback (μ plus the
        known bias), as mfrec predict. Scalars in, a float out."""
        scalar = np.isscalar(users) and np.isscalar(items)
        u = self._map(self.user_ids, np.atleast_1d(users))
        i = self._map(self.item_ids, np.atleast_1d(items))
        u, i = np.broadcast_arrays(u, i)
        u, i = np.ascontiguousarray(u), np.ascontiguousarray(i)
        out = np.empty(u.shape, dtype=np.float32)
        lib.mfr_model_predict_many(self._need(), u.size, u.ctypes.data_as(L.i32p),
                                   i.ctypes.data_as(L.i32p), out.ctypes.data_as(L.f32p))
        return float(out[0]) if scalar else out

    def save(self, path):
        """Write the .mfm model file (mfrec recommend/serve read it)."""
        err = L.Error()
        _check(lib.mfr_model_save(self._need(), _b(str(path)), byref(err)), err)

    def __repr__(self):
        if not self._h or not self._h.value:
            return "<mfrec.Model (not trained)>"
        i = self._info()
        return "<mfrec.Model %s: %d users, %d movies, k=%d>" % (
            _s(lib.mfr_algo_name(i.algo)), i.n_users, i.n_items, i.factors)


def _recommend_params(n, filter_seen, genre, min_ratings):
    rp = lib.mfr_recommend_params_default()
    rp.n = int(n)
    rp.exclude_seen = 1 if filter_seen else 0
    if genre:
        rp.genre = _b(genre)  # the bytes object lives in rp._objects
    if min_ratings is not None:
        rp.min_ratings = int(min_ratings)
    return rp


class Recommendations(tuple):
    """(ids, scores), with .ids, .scores and .predictions (predicted ratings)."""

    def __new__(cls, ids, scores, predictions):
        t = tuple.__new__(cls, (ids, scores))
        t.ids, t.scores, t.predictions = ids, scores, predictions
        return t


def train(ds, algo="auto", progress=False, **params):
    """Model(algo, **params).fit(ds)."""
    return Model(algo=algo, progress=progress, **params).fit(ds)


def load(path):
    """A model saved by Model.save or `mfrec train -o` (memory-mapped)."""
    out, err = c_void_p(), L.Error()
    _check(lib.mfr_model_load(_b(str(path)), byref(out), byref(err)), err)
    return Model._wrap(out.value)


# ---- evaluation -------------------------------------------------------------

def _cv(ds, algo, split, folds, test_frac, seed, ranking, k, threshold, jobs, progress,
        leave_out, params):
    box = lib.mfr_cv_params_default(_algo_number(algo))
    cp = box.p
    tb = train_params(algo, seed=seed, **params)
    ctypes.memmove(byref(cp.train), byref(tb.p), ctypes.sizeof(L.TrainParams))
    cp.split = lib.mfr_split_params_default()
    if split not in SPLIT:
        raise MfrecError(5, "split %r: one of %s" % (split, ", ".join(SPLIT)))
    cp.split.kind = SPLIT[split]
    cp.split.seed = int(seed)
    if test_frac is not None:
        cp.split.test_frac = float(test_frac)
    if folds is not None:
        cp.split.folds = int(folds)
    if leave_out is not None:
        cp.split.leave_out = int(leave_out)
        cp.split.min_user_ratings = int(leave_out) + 1
    cp.ranking = 1 if ranking else 0
    cp.rank = lib.mfr_ranking_params_default()
    cp.rank.k = int(k)
    cp.rank.threshold = float(threshold)
    cp.threads = int(jobs)
    prog = _Progress(progress, "eval")
    cp.progress = prog.c
    res, err = L.CvResult(), L.Error()
    st = lib.mfr_cv_run(ds._h, None, byref(cp), byref(res), byref(err))
    prog.close()
    _check(st, err)
    try:
        def metrics(v):
            d = {}
            for m, name in enumerate(L.METRIC_NAMES):
                if not ranking and (3 <= m <= 10 or name == "rank_s"):
                    continue
                d[name] = v[m]
            return d
        out = {"algo": algo, "k": int(k), "threshold": float(threshold),
               "n_folds": res.n_folds, "mean": metrics(res.mean), "std": metrics(res.std),
               "folds": []}
        for q in range(res.n_folds):
            f = res.folds[q]
            fd = metrics(f.v)
            for n in ("n_train", "n_test", "unknown_users", "unknown_items", "users_ranked",
                      "users_no_relevant", "users_unknown", "epochs_run"):
                fd[n] = getattr(f, n)
            out["folds"].append(fd)
        return out
    finally:
        lib.mfr_cv_result_free(byref(res))


def evaluate(ds, algo="auto", test_frac=0.2, seed=42, ranking=True, k=10, threshold=4.0,
             split="holdout", leave_out=None, jobs=0, progress=False, **params):
    """Train on a split of ds and measure on the rest, as `mfrec eval DATA`
    (default: a random 20 % holdout, seed 42 for both the split and the
    training): a dict metric -> value (rmse, mae, mse, precision, recall,
    ndcg, map, hit at k, mrr, coverage, novelty, fit_s, predict_s, rank_s).
    split: holdout, time, leave-out, user-last; params as for train()."""
    r = _cv(ds, algo, split, None, test_frac, seed, ranking, k, threshold, jobs, progress,
            leave_out, params)
    out = dict(r["folds"][0])
    return out


def cross_validate(ds, algo="auto", folds=5, seed=42, ranking=True, k=10, threshold=4.0,
                   jobs=0, progress=False, **params):
    """k-fold cross-validation, as `mfrec eval DATA --folds K`: a dict with
    "mean" and "std" (metric -> value) and "folds" (one dict per fold)."""
    return _cv(ds, algo, "kfold", folds, None, seed, ranking, k, threshold, jobs, progress,
               None, params)
